// Events: the dispatcher that delivers the outbox, its handlers, and the listener for apps.
export {
  type CallbackHandlerOptions,
  callbackTimeoutMsDefault,
  createCallbackHandler,
  type EventCallback,
} from './callback.js';
export {
  deliveryAttemptsMax,
  deliveryBatchSizeDefault,
  EventDispatcher,
  type EventDispatcherOptions,
  type HandlerStatus,
  pollIntervalMsDefault,
  pollIntervalMsMax,
  retryDelaysMsDefault,
  stopWaitMsDefault,
} from './dispatcher.js';
export {
  describeError,
  EventDeliveryFailed,
  type EventHandler,
  serializeEvent,
} from './handler.js';
export { createEventHandler, createEventHandlers, moduleSpecifier } from './handlers.js';
export {
  createEventListener,
  createMemorySeenStore,
  type EventListenerOptions,
  type EventRequestHandler,
  listenerBodyBytesMaxDefault,
  type SeenStore,
  seenIdsMaxDefault,
} from './listener.js';
export {
  createScriptHandler,
  type ScriptHandlerOptions,
  scriptEnvironment,
  scriptStderrBytesMax,
} from './script.js';
export {
  eventIdHeader,
  eventNameHeader,
  signatureHeader,
  signBody,
  verifySignature,
} from './signature.js';
export {
  createWebhookHandler,
  type WebhookHandlerOptions,
  webhookResponseBytesMax,
} from './webhook.js';
