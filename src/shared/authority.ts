/**
 * The authority ("host:port") of an address URL such as "grpc://user@10.0.0.1:9000/x": what a
 * client dials. Without parsing a URL object, since pickers and operators call it per instance.
 *
 * @example
 * authorityOf("grpc://10.0.0.1:9000/x") // "10.0.0.1:9000"
 */
export const authorityOf = (addr: string): string => {
  const rest = addr.slice(addr.indexOf("://") + 3);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  return authority.slice(authority.lastIndexOf("@") + 1);
};
