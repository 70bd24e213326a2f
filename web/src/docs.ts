/**
 * `/docs`: Swagger UI (served by the Worker from its assets, no CDN) rendering `/openapi.json`.
 *
 * @module
 */

type SwaggerUi = (options: Record<string, unknown>) => unknown;
declare const SwaggerUIBundle: SwaggerUi;

SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The default asks validator.swagger.io for a badge: no calls to anywhere but this origin.
  validatorUrl: null,
  tryItOutEnabled: false,
});
