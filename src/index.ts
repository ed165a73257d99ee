/**
 * grokbench's public API: what a script needs to train, analyse and report without the command
 * line. Everything here is also what the commands in src/cli/ are built from.
 */
export { GrokbenchError } from './core/errors.js';
// Engine
export { loadKernels, engineDescription, ReferenceKernels, type Kernels, type Vec } from './engine/index.js';
// Model, data and checkpoints
export { DEFAULTS, SETTINGS, type ModelConfig, type TrainConfig, type InitOrder, runId, validateConfig } from './config/config.js';
export { Params, PARAM_NAMES, paramShapes } from './model/params.js';
export { computeTables, evaluate, lossAndGrad, makeBatch, mlpActivations } from './model/model.js';
export { initParams, INIT_DRAW_ORDER } from './model/init.js';
export { parseIntervention, readInterventionFile } from './model/interventions.js';
export { loadCheckpoint, saveCheckpoint, inferModelConfig } from './model/checkpoint.js';
export { makeSplit, readSplitFile, type Split } from './data/dataset.js';
export { MT19937, torchRandperm, torchNormal_, ulpJitter } from './core/rng.js';
// Training and the store
export { AdamW } from './train/adamw.js';
export { train, type TrainResult, type Progress } from './train/trainer.js';
export { Store, type RunRow, type MetricRow, type CheckpointRow } from './store/store.js';
export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors.js';
export { planImport, executeImport } from './interop/import.js';
export { planExport, writeMiscopeVariant } from './interop/export.js';
// Analysis
export { analyseRuns } from './analysis/pipeline.js';
export { neuronFourier, coarsenessFromFractions, concentrationFromFractions } from './analysis/library/coarseness.js';
export {
  activationMaps, readNeuronFourier, readEmbeddingFourier, coarsenessValues, concentrationValues, summaryStats,
  grokkingTimes, referenceTable, type NeuronFourierRun, type SummaryStats,
} from './analysis/results.js';
export { runOutcome, OUTCOME_CLASSES, outcomeGrokked, type RunOutcome, type OutcomeClass } from './metrics/outcome.js';
export { outcomeOfRun } from './analysis/outcome.js';
export { neuronDynamics, readDynamicsInput, type NeuronDynamics } from './analysis/dynamics.js';
export { AblationProbe, ablationCurves } from './analysis/library/ablation.js';
export { type StudyAnswers } from './study/study.js';
export { computeStudy } from './study/sections.js';
export { loadRunModel, type RunModel } from './views/model.js';
// Report
export { writeReport } from './report/index.js';
export { startServer, type ServeOptions } from './server/app.js';
