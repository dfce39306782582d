// Runs a Deno client under the V8 CPU profiler (through node:inspector, as
// `deno run` has no --cpu-prof): PROF_CLIENT names the client module,
// PROF_OUT the .cpuprofile to write. Deno.exit is wrapped so the profile is
// written before the client exits.
import { Session } from "node:inspector";

const session = new Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)))
  );
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", {
  interval: Number(Deno.env.get("PROF_INTERVAL") ?? 100),
});
await post("Profiler.start");
const exit = Deno.exit;
Deno.exit = (code) => {
  post("Profiler.stop").then(({ profile }) => {
    Deno.writeTextFileSync(Deno.env.get("PROF_OUT"), JSON.stringify(profile));
    exit(code);
  });
};
await import(Deno.env.get("PROF_CLIENT"));
