/** One epoch's metrics; test fields are null on epochs without evaluation. */
export interface MetricRow {
  epoch: number;
  train_loss: number;
  train_acc: number;
  test_loss: number | null;
  test_acc: number | null;
}
