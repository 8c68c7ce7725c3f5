// The status server: JSON for machines and a page for people.
export { StatusServerRefused } from './errors.js';
export { escapeHtml, renderStatusHtml } from './html.js';
export {
  checkStatusBind,
  createStatusServer,
  type StatusServer,
  type StatusServerOptions,
  statusCollectTimeoutMs,
  statusConnectionsMax,
  statusHeadersTimeoutMs,
  statusHostDefault,
  statusPortDefault,
  statusRequestTimeoutMs,
} from './server.js';
export type * from './types.js';
