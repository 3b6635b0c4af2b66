// Drives the analyzers of an installed @mdn/mdn-http-observatory offline: no network, no database.
// argv[2]: the package's folder. stdin: a JSON array of cases; stdout: a JSON array of results.
// Each case is a scan's inputs as plain data (see tests/health/test_observatory_differential.py).
import { readFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const pkg = process.argv[2];
const load = (rel) => import(pathToFileURL(path.join(pkg, rel)).href);

const { contentSecurityPolicyTest } = await load("src/analyzer/tests/csp.js");
const { cookiesTest } = await load("src/analyzer/tests/cookies.js");
const { crossOriginResourceSharingTest } = await load("src/analyzer/tests/cors.js");
const { redirectionTest } = await load("src/analyzer/tests/redirection.js");
const { referrerPolicyTest } = await load("src/analyzer/tests/referrer-policy.js");
const { strictTransportSecurityTest } = await load("src/analyzer/tests/strict-transport-security.js");
const { subresourceIntegrityTest } = await load("src/analyzer/tests/subresource-integrity.js");
const { xContentTypeOptionsTest } = await load("src/analyzer/tests/x-content-type-options.js");
const { xFrameOptionsTest } = await load("src/analyzer/tests/x-frame-options.js");
const { crossOriginResourcePolicyTest } = await load("src/analyzer/tests/cross-origin-resource-policy.js");
const { parseHttpEquivHeaders } = await load("src/retriever/utils.js");
const { getScoreModifier, getGradeForScore } = await load("src/grader/grader.js");
// The tough-cookie the package itself depends on.
const { CookieJar } = await import(
  pathToFileURL(createRequire(path.join(pkg, "package.json")).resolve("tough-cookie")).href);

// Headers as Node's http client hands them to axios: lower-case names, repeats joined with ", ",
// Set-Cookie as an array; Content-Security-Policy as the list of policies (see the test's docstring).
function nodeHeaders(pairs, cspPolicies) {
  const out = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    if (key === "set-cookie") (out[key] ??= []).push(value);
    else if (key === "content-type" && key in out) continue;
    else out[key] = key in out ? `${out[key]}, ${value}` : value;
  }
  if (cspPolicies) out["content-security-policy"] = cspPolicies;
  else delete out["content-security-policy"];
  return out;
}

function requestsFor(c) {
  const jar = new CookieJar();
  for (const [url, raw] of c.cookies ?? []) jar.setCookieSync(raw, url, { ignoreError: true });
  const headers = nodeHeaders(c.headers, c.csp_policies);
  headers.get = (name) => headers[name.toLowerCase()];
  const auto = { status: 200, headers, verified: c.auto_verified ?? true, data: c.body ?? "" };
  const ctype = headers["content-type"]?.split(";")[0];
  auto.httpEquiv = c.body && ["text/html", "application/xhtml+xml"].includes(ctype)
    ? parseHttpEquivHeaders(c.body, c.start_url) : new Map();
  const https = c.https_response
    ? { headers: nodeHeaders(c.https_response.headers, null), verified: c.https_response.verified }
    : null;
  const route = (c.http_chain ?? []).map(([url, status]) => ({ url: new URL(url), status }));
  const http = c.http_chain ? { status: route.at(-1).status, verified: c.http_verified ?? true } : null;
  let cors = null;
  if (c.cors) {
    cors = { headers: nodeHeaders(c.cors.headers, null), request: { headers: { origin: c.cors.origin } } };
  }
  return {
    hostname: c.host,
    site: { hostname: c.host },
    session: { url: new URL(c.start_url), jar },
    resources: { path: c.body ?? null },
    responses: { auto, https, http, cors, httpRedirects: route, httpsRedirects: route },
  };
}

const TESTS = {
  "content-security-policy": contentSecurityPolicyTest,
  cookies: cookiesTest,
  "cross-origin-resource-sharing": crossOriginResourceSharingTest,
  redirection: redirectionTest,
  "referrer-policy": referrerPolicyTest,
  "strict-transport-security": strictTransportSecurityTest,
  "subresource-integrity": subresourceIntegrityTest,
  "x-content-type-options": xContentTypeOptionsTest,
  "x-frame-options": xFrameOptionsTest,
  "cross-origin-resource-policy": crossOriginResourcePolicyTest,
};

const cases = JSON.parse(readFileSync(0, "utf8"));
const results = cases.map((c) => {
  const out = { id: c.id, tests: {} };
  try {
    const requests = requestsFor(c);
    for (const name of c.tests) {
      const result = TESTS[name](requests).result;
      out.tests[name] = { result, modifier: getScoreModifier(result) };
    }
  } catch (error) {
    out.error = String(error?.stack ?? error);
  }
  return out;
});
// The grade chart, for every score a scan can reach.
const grades = {};
for (let s = -60; s <= 150; s++) grades[s] = getGradeForScore(s).grade;
process.stdout.write(JSON.stringify({ results, grades }));
