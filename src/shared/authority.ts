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

/**
 * Whether an address is a URL of `scheme` ("grpc" matches "grpc://..." and "GRPC://...": URL
 * schemes compare case-insensitively). Made once per scheme, called per address.
 *
 * @example
 * isScheme("grpc")("grpc://10.0.0.1:9000") // true
 */
export const isScheme = (scheme: string): ((addr: string) => boolean) => {
  const prefix = `${scheme.toLowerCase()}://`;
  return (addr) => addr.length >= prefix.length && addr.slice(0, prefix.length).toLowerCase() === prefix;
};
