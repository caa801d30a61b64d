// Starts Swagger UI on /api/v1/docs from a file (the CSP forbids inline script).
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui-container");
  var config = { url: el.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(el.dataset.config || "{}");
  Object.keys(extra).forEach(function (k) { config[k] = extra[k]; });
  window.ui = SwaggerUIBundle(config);
});
