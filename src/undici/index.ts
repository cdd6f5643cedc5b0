/**
 * HTTP by name with undici: an interceptor that sends `http://<appid>/...` to live instances of
 * the app, picked by a balancer that learns from every response. `undici` (7) is an optional peer
 * dependency, loaded only by this entry point.
 *
 * @packageDocumentation
 * @module rxnaming/undici
 */
export {
  namingInterceptor,
  type BalancerName,
  type NamingInterceptor,
  type NamingInterceptorOptions,
} from "./naming-interceptor.js";
