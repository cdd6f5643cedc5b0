import * as grpc from "@grpc/grpc-js";

// A small gRPC service without protobuf (messages are JSON), shared by the gRPC examples.
export interface EchoRequest {
  readonly message: string;
}
export interface EchoReply {
  readonly message: string;
  readonly from: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): never => JSON.parse(bytes.toString()) as never,
};

export const EchoService = {
  echo: {
    path: "/demo.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

export const EchoClient = grpc.makeGenericClientConstructor(EchoService, "Echo");

/** One call of Echo, as a promise. */
export const echo = (client: grpc.Client, message: string): Promise<EchoReply> =>
  new Promise((resolve, reject) =>
    client.makeUnaryRequest<EchoRequest, EchoReply>(
      EchoService.echo.path,
      json.serialize,
      json.deserialize,
      { message },
      (error, reply) => (error || !reply ? reject(error ?? new Error("no reply")) : resolve(reply)),
    ),
  );
