// HTTP header names of the dfs protocol.

/** The write token on a chunk PUT or DELETE. */
export const TOKEN_HEADER = 'x-dfs-token';
/** The downstream nodes of a replication pipeline, comma-separated base URLs, in order. */
export const FORWARD_HEADER = 'x-dfs-forward';
/** Set on a 502 from a node to say which downstream node failed. */
export const FAILED_NODE_HEADER = 'x-dfs-failed-node';
/** The client's upload id: chunks allocated to an open upload are never collected. */
export const UPLOAD_HEADER = 'x-dfs-upload';
/**
 * The id of a call the client may send again (remove, move, rmdir): a master answers the call
 * sent again with what it did the first time, never doing it twice.
 */
export const OP_HEADER = 'x-dfs-op';
