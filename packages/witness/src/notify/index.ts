// Notifications of the witness guard: events, the bounded queue, e-mail and the log file.
export { createEmailSink, type EmailOptions, emailBody, emailTimeoutMs } from './email.js';
export {
  describeEvent,
  type Notify,
  type WitnessEvent,
  type WitnessEventFields,
  type WitnessEventName,
  witnessEvent,
} from './events.js';
export { createFileSink, parseEventLog } from './file.js';
export {
  createNotificationQueue,
  type EventSink,
  type NotificationQueue,
  type NotificationQueueOptions,
  notifyAttemptsMax,
  notifyQueueEventsMax,
  notifyRetryDelayMs,
} from './queue.js';
