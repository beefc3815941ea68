/**
 * Notebook output for the course: rich displays, Plotly figures, tables and progress bars that work in
 * Jupyter (tslab), JupyterLab, VS Code and, as plain text, in a terminal.
 * `import { plot, linePlot, table, progress, track } from "@llm-course/lib/notebook";`
 */
export {
  createDisplay,
  display,
  DisplayHandle,
  escapeHtml,
  html,
  htmlToText,
  isNotebook,
  markdown,
  newDisplayId,
  setDisplayWriter,
} from "./display";
export type { DisplayMessage, DisplayOptions, DisplayWriter, MimeBundle } from "./display";
export {
  barPlot,
  describeFigure,
  figureBundle,
  figureHtml,
  heatmap,
  LIGHT_TO_DARK_BLUES,
  linePlot,
  plot,
  PLOT_DIR_VARIABLE,
  PLOTLY_MIME,
  packedPlotlyScriptTag,
  plotlyScriptTag,
  wrapUmdSource,
  plotlySource,
  resetPlotlyEmbedding,
  scatterPlot,
  showFigure,
  standaloneHtml,
} from "./plot";
export type {
  ArraySyncable,
  AxisValues,
  BarPlotOptions,
  ColorScale,
  Figure,
  HeatmapOptions,
  LinePlotOptions,
  LineSeries,
  NumberList,
  PlotConfig,
  PlotLayout,
  PlotOptions,
  PlotTrace,
  ScatterPlotOptions,
  ScatterPoints,
  SeriesSpec,
} from "./plot";
export { displayWidth, formatNumber, frenchNumber, renderTable, table } from "./table";
export type { RenderedTable, TableOptions, TableRow } from "./table";
export { compileFailureFor, currentExecution, staleSubmissionNotice } from "./kernel-session";
export type { CellDiagnostic, CompileFailure, ExecutionContext } from "./kernel-session";
export { formatDuration, formatMetric, formatProgress, progress, ProgressBar, track } from "./progress";
export type { Metrics, ProgressMode, ProgressOptions, ProgressState, ProgressStream } from "./progress";
