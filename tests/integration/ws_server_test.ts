/**
 * The interop cases of `./_cases.ts` against the ws package's WebSocketServer on Node
 * (`tests/peers/ws_server.mjs`), from the runtime running this file.
 *
 * @module
 */

import { peerSuite } from "./_cases.ts";

peerSuite("ws");
