/// <reference types="node" preserve="true" />
/**
 * raft-membership: join and leave a raft cluster over raw TCP.
 *
 * The one public entry point; nothing else in the package is API.
 * @packageDocumentation
 */
export { parseAddress, formatAddress, type HostPort } from './membership/address.js';
export { ChangeRequestKind, kindName } from './membership/change-request-kind.js';
export { ChangeRequest, newJoinRequest, newLeaveRequest, type JoinRequestOptions } from './membership/change-request.js';
export type { Changer, ChangeOptions } from './membership/changer.js';
export {
  MembershipError,
  DifferentLeaderError,
  UnknownLeaderError,
  MembershipTimeoutError,
  NotLeaderError,
  UnsupportedRoleError,
  ChangeRejectedError,
  RequestAlreadyDoneError,
  ShuttingDownError,
  UnsupportedRequestError,
  InvalidOptionError,
  InvalidAddressError,
  ConformanceSetupError,
  ServerAlreadyListeningError,
  ServerNotRunningError,
  AbortError,
  type CallStage,
} from './membership/errors.js';
export { handleChangeRequests, type HandleChangeRequestsOptions } from './membership/handle-change-requests.js';
export type { Raft, RaftState, ConfigurationServer, RaftConfiguration } from './membership/raft.js';
export type { ClusterConfiguration, ConfigurationSource } from './membership/read-configuration.js';
export { ServerRole, isServerRole, type ServerAddress, type ServerID } from './membership/types.js';
export type { Logger, LogFields, LogWriter } from './membership/logger.js';
export {
  ProtocolError,
  FrameTooLargeError,
  EmptyFrameError,
  MalformedFrameError,
  InvalidMessageError,
  BadPreambleError,
  BadRequestError,
  RemoteError,
  HandshakeRefusedError,
  AuthenticationError,
  ConnectionClosedError,
  TlsMismatchError,
} from './protocol/errors.js';
export { PROTOCOL_VERSION, Channel, ReplyStatus } from './protocol/preamble.js';
export { WireErrorCode } from './protocol/messages.js';
export { MembershipServer, type MembershipServerEvents } from './server/membership-server.js';
export type { MembershipServerOptions, ResolvedServerOptions } from './server/server-options.js';
export type { ConnectionCounts } from './server/connection-limits.js';
export { TcpChanger, type DialOptions, type MembersResult } from './client/tcp-changer.js';
export type { TcpChangerOptions, ResolvedClientOptions } from './client/client-options.js';
export {
  DiagnosticsChannel,
  type ChannelName,
  type RequestSummary,
  type ServerRequestEvent,
  type ServerResponseEvent,
  type ServerConnectionOpenEvent,
  type ServerConnectionRefusedEvent,
  type ServerConnectionCloseEvent,
  type ServerProtocolErrorEvent,
  type ClientConnectionOpenEvent,
  type ClientConnectionRefusedEvent,
  type ClientConnectionCloseEvent,
  type ClientRedirectEvent,
  type ClientRetryEvent,
} from './diagnostics.js';
export {
  Requirement,
  Outcome,
  type ConformanceCaseResult,
  type ConformanceReport,
  type ConformanceSummary,
} from './conformance/case.js';
export { runServerConformance } from './conformance/server/run-server.js';
export { CONFORMANCE_ID_PREFIX, type ServerConformanceOptions } from './conformance/server/server-options.js';
export { runClientConformance, type ClientConformanceOptions } from './conformance/client/run-client.js';
export type { DialerFunction, DialerInvocation, DialerOutcome } from './conformance/client/dialer.js';
