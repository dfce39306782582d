/**
 * The interop cases of `./_cases.ts` against Deno.serve+Deno.upgradeWebSocket
 * (`tests/peers/deno_server.ts`), from the runtime running this file.
 *
 * @module
 */

import { peerSuite } from "./_cases.ts";

peerSuite("deno");
