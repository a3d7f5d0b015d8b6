/**
 * What protects a cluster, decided once at startup. The gossip key keeps outsiders out of the
 * cluster (gossip is encrypted, replication links are authenticated with it); JWT auth guards the
 * HTTP API. Auth without a key would be a bypass: anyone could join gossip, get replication
 * links opened to it, and read or inject every event without a token. So that combination is
 * refused, and a cluster with neither says loudly that it is open.
 */
import { BrokerConfigError } from "./errors.ts";

/** The security posture shown in `/status`. */
export interface ClusterSecurity {
  /** Gossip encrypted and replication links authenticated with the shared key. */
  gossip_key: boolean;
  /** JWT auth on the HTTP API. */
  auth: boolean;
  /** No key and no auth: anyone who reaches the ports can join, read and publish. */
  open_cluster: boolean;
}

/** How to make a key, for error messages and the README. */
export const KEYGEN_HINT = "generate one with `shoal keygen` or `openssl rand -base64 32`";

/** The one startup warning of an open cluster. */
export const OPEN_CLUSTER_WARNING =
  "open cluster: no --gossip.secretKey and no --auth.jwt.key; anyone who can reach the gossip and " +
  `HTTP ports can join, read every event and publish. Set a key (${KEYGEN_HINT}) or bind to a private address.`;

/** Classifies a configuration. */
export function clusterSecurity(config: { secretKey: Uint8Array | null; auth: unknown }): ClusterSecurity {
  const gossipKey = config.secretKey !== null;
  const auth = config.auth !== null && config.auth !== undefined;
  return { gossip_key: gossipKey, auth, open_cluster: !gossipKey && !auth };
}

/** Throws when auth is on without a gossip key: the cluster would let anyone around the auth. */
export function assertClusterable(config: { secretKey: Uint8Array | null; auth: unknown }): void {
  const s = clusterSecurity(config);
  if (s.auth && !s.gossip_key)
    throw new BrokerConfigError(
      "--auth.jwt.key needs --gossip.secretKey: without a gossip key anyone can join the cluster and " +
        `receive or inject every event without a token; ${KEYGEN_HINT}, and give the same key to every node`,
    );
}
