// The protocol's pieces, for the server and client inside this package.
export * from './auth.js';
export * from './errors.js';
export * from './frame-decoder.js';
export * from './messages.js';
export * from './msgpack.js';
export * from './preamble.js';
export * from './wire-errors.js';
export * from './utf8.js';
export * from './client-handshake.js';
export * from './server-handshake.js';
