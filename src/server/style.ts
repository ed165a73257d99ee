/**
 * The dashboard's style sheet, inlined in every page. The pages' code is browser TypeScript in
 * src/browser/dashboard (bundled to dist/browser/dashboard.js, served as /app.js).
 */
export const PAGE_CSS = `
body { font: 14px/1.4 'Liberation Sans', Arial, sans-serif; margin: 0; color: #222; }
header { background: #24323f; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
header a.home { color: #fff; font-weight: bold; font-size: 18px; text-decoration: none; }
header .store { color: #bcd; font-size: 12px; } header .live { margin-left: auto; font-size: 12px; color: #9d9; }
main { padding: 12px 16px; } h1 { font-size: 20px; margin: 4px 0 10px; } h2 { font-size: 16px; margin: 18px 0 8px; }
table.data { border-collapse: collapse; font-size: 12px; } table.data th, table.data td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
table.data th { cursor: pointer; background: #f3f5f7; position: sticky; top: 0; } table.data td.l, table.data th.l { text-align: left; }
tr.training td { background: #fff8e0; } .cls-healthy { color: #1a7f37; } .cls-late_grokker { color: #9a6700; } .cls-degraded, .cls-degraded_rebound, .cls-no_second_descent { color: #b42318; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; } .fig { border: 1px solid #e3e3e3; padding: 6px; } .fig h3 { font-size: 13px; margin: 0 0 4px; }
.outcome { border: 1px solid #ccd; background: #f7f8fb; padding: 8px 12px; margin: 8px 0; } .outcome ul { margin: 4px 0; }
#grid { position: relative; flex: 1 1 auto; min-width: 0; } #grid canvas { cursor: pointer; display: block; }
#grid-sel { position: absolute; border: 2px solid #e15759; pointer-events: none; box-sizing: border-box; } .explorer { display: flex; gap: 16px; align-items: flex-start; } #explorer { width: 100%; } .detail { flex: 0 0 380px; position: sticky; top: 48px; max-height: calc(100vh - 56px); overflow: auto; }  .detail canvas { image-rendering: pixelated; border: 1px solid #ccc; }
.controls { display: flex; gap: 12px; align-items: center; margin: 6px 0; } input[type=range] { width: 420px; } .checkpoint-bar { position: sticky; top: 0; z-index: 5; background: #fff; padding: 4px 0; border-bottom: 1px solid #eee; }
form.job { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: flex-end; background: #f7f8fb; padding: 8px; border: 1px solid #dde; }
form.job label { display: flex; flex-direction: column; font-size: 11px; color: #555; } form.job input { width: 90px; }
.error { color: #b42318; } .muted { color: #777; } .answer { border-top: 1px solid #ddd; margin-top: 10px; } .answer h3 { font-size: 14px; }
button { cursor: pointer; }
header nav a { color: #dde; margin-right: 12px; text-decoration: none; } header nav a.here { color: #fff; text-decoration: underline; }
table.runs-progress td { border: 0; padding: 0 6px 0 0; font-size: 11px; } table.runs-progress progress { width: 110px; height: 10px; }
.state-done, .state-skipped { color: #1a7f37; } .state-failed { color: #b42318; } .state-interrupted { color: #9a6700; } tr.job-interrupted > td { background: #fff4e5; }
td.cmd { min-width: 480px; max-width: 620px; white-space: normal !important; font-family: monospace; font-size: 11px; }
form.job details[open] { flex-basis: 100%; } form.job details[open] label { display: inline-flex; margin: 0 10px 6px 0; }
.fig h3 a.csv { font-size: 11px; font-weight: normal; margin-left: 6px; }
pre.log { background: #f7f8fb; border: 1px solid #dde; padding: 8px; max-height: 480px; overflow: auto; font-size: 11px; white-space: pre-wrap; }
p.cmd { font-family: monospace; font-size: 12px; }
.tabs { display: flex; flex-wrap: wrap; gap: 4px; margin: 10px 0 8px; border-bottom: 1px solid #ccd; } .tabs button { border: 1px solid #ccd; border-bottom: 0; background: #f3f5f7; padding: 4px 10px; border-radius: 4px 4px 0 0; } .tabs button.here { background: #24323f; color: #fff; }
.side-by-side { display: grid; gap: 16px; } .side-by-side .column { min-width: 0; overflow-x: auto; } .side-by-side .fig { margin-bottom: 12px; }
.run-picks { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; max-height: 160px; overflow: auto; border: 1px solid #eee; padding: 4px; }
`;
