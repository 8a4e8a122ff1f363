/* /api/docs/ (templates/api/docs.html): start Swagger UI on #swagger-ui with the schema URL
   from data-schema-url. "Try it out" sends the session cookie and the page's CSRF token
   (data-csrf-token), unless the user authorised with an API token. No inline script: Kehu's
   Content-Security-Policy refuses it. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") { return; }
  var csrf = node.getAttribute("data-csrf-token");
  window.SwaggerUIBundle({
    url: node.getAttribute("data-schema-url"),
    domNode: node,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    persistAuthorization: false,
    requestInterceptor: function (request) {
      var headers = request.headers || {};
      if (!headers.Authorization && csrf) { headers["X-CSRFToken"] = csrf; }
      request.headers = headers;
      request.credentials = "same-origin";
      return request;
    }
  });
})();
