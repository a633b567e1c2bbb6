// @duet/contract: what a Duet service and its clients share. No dependencies; runs in browsers.
export { defineContract } from './contract';
export type {
  AnyContract,
  Contract,
  ContractDefinition,
  EventData,
  EventName,
  EventSpecs,
  MessageData,
  MessageSpec,
  MessageSpecs,
  ReplyOf,
  RequestName,
  RequestSpec,
  RequestSpecs,
  SendName,
} from './contract';
export type { CompressionOptions } from './compression-options';
export { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiff, type PresenceEntry, type PresenceMeta, type PresenceState } from './presence';
export { CodedError, ContractError } from './errors';
export { isStandardSchema } from './standard-schema';
export type { InferInput, InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from './standard-schema';
export { ERROR_TYPE, RESERVED_PREFIX, encodeMessage, isPlainObject, isProtocolMessage, replyValue } from './wire';
export type { WireKeys } from './wire';
