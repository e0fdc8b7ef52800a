export { Backend, type BackendHealth } from "./backend.js";
export { BackendConnection } from "./backend-connection.js";
export { Route, routeOf } from "./command-route.js";
export { FrameCutter, type FrameSink } from "./frame-cutter.js";
export { LagMonitor, parseInfo } from "./lag-monitor.js";
export { ProxyServer } from "./proxy-server.js";
export { Router } from "./router.js";
export { Session } from "./session.js";
