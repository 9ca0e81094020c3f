// Senders for the notification services Mooring delivers to, and delivery with retries.
export { DeliveryError, sendHttp, type HttpRequest, type HttpResponse } from './http.js';
export { buildWebhookRequest, deliveryId, signBody, SIGNATURE_HEADER, DELIVERY_HEADER } from './webhook.js';
export { buildSlackRequest, SLACK_API_URL } from './slack.js';
export { buildTeamsPayload, buildTeamsRequest } from './teams.js';
export { buildEmail, smtpOptions, type EmailMessage } from './email.js';
export { deliver, retryPolicy, senderFor, type DeliveryResult, type RetryPolicy } from './delivery.js';
export type { Sender, SendOptions } from './types.js';
