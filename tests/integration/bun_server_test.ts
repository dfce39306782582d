/**
 * The interop cases of `./_cases.ts` against Bun.serve's websocket handlers
 * (`tests/peers/bun_server.ts`), from the runtime running this file.
 *
 * @module
 */

import { peerSuite } from "./_cases.ts";

peerSuite("bun");
