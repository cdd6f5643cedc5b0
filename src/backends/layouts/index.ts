/** Key layouts: where a backend keeps each app's instances, and how their values look. */
export { kratosV1Layout } from "./kratos-v1.js";
