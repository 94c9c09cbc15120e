#!/bin/sh
# The raft-membership CLI as a dialer under test: turns the environment of the
# dialer contract (docs/conformance.md) into the CLI's options. RFTM_CLI is the
# command to run (default: raft-membership).
op=$RFTM_CONFORMANCE_OPERATION
set -- "$op" --target "$RFTM_CONFORMANCE_TARGET" --timeout "${RFTM_CONFORMANCE_TIMEOUT_MS}ms" --json --cluster "$RFTM_CONFORMANCE_CLUSTER"
if [ "$op" != members ]; then set -- "$@" --id "$RFTM_CONFORMANCE_ID"; fi
if [ "$op" = join ]; then set -- "$@" --address "$RFTM_CONFORMANCE_ADDRESS" --role "$RFTM_CONFORMANCE_ROLE"; fi
if [ -n "$RFTM_CONFORMANCE_SECRET_FILE" ]; then set -- "$@" --secret-file "$RFTM_CONFORMANCE_SECRET_FILE"; fi
if [ -n "$RFTM_CONFORMANCE_TLS_CA" ]; then set -- "$@" --tls-ca "$RFTM_CONFORMANCE_TLS_CA"; fi
exec ${RFTM_CLI:-raft-membership} "$@"
