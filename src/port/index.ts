export * from "./backend.js";
export * from "./from-task-either.js";
export * from "./layout.js";
