// The admin API under /api/v1 (DESIGN §6): each concern in its own module.
import { Hono } from "hono";
import type { Registrar } from "../../registrar/registrar.js";
import { auditRoutes } from "./audit.js";
import { bundleRoutes } from "./bundles.js";
import { caRoutes } from "./cas.js";
import { deviceRoutes } from "./devices.js";
import { offlineRoutes } from "./offline.js";
import { stationRoutes } from "./stations.js";

export function adminRoutes(registrar: Registrar): Hono {
  const app = new Hono();
  app.route("/", bundleRoutes(registrar));
  app.route("/", deviceRoutes(registrar));
  app.route("/", stationRoutes(registrar));
  app.route("/", caRoutes(registrar));
  app.route("/", auditRoutes(registrar));
  app.route("/", offlineRoutes(registrar));
  return app;
}
