// Three echo servers on 127.0.0.1 in their own process, so that the bench's client process
// measures only the client's work (the machine has two cores). Prints the ports as one JSON line;
// exits when its stdin closes (the bench ended, or was killed).
import * as grpc from "@grpc/grpc-js";

const raw = (b) => b;
const service = {
  echo: {
    path: "/rxnaming.bench.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

const start = (name) =>
  new Promise((resolve, reject) => {
    const server = new grpc.Server();
    const reply = Buffer.from(name);
    server.addService(service, { echo: (_call, callback) => callback(null, reply) });
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });

const ports = await Promise.all(["e1", "e2", "e3"].map(start));
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
