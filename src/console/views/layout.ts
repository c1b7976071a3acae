/**
 * The page frame, sign-in, errors and the webhook list. Eta templates:
 * `<%= %>` escapes (every customer-written value goes through it), `<%~ %>`
 * only inserts HTML the templates themselves rendered (the page body).
 * No inline script or style anywhere: the CSP forbids both.
 */
export const LAYOUT = `<!doctype html>
<html lang="<%= it.lang %>">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.title %> - <%= it.t('app.title') %></title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main"><%= it.t('nav.skip') %></a>
<header class="top">
  <span class="brand"><%= it.t('app.title') %></span>
<% if (it.principal) { %>
  <nav aria-label="<%= it.t('app.title') %>">
    <ul>
<% for (const [section, path, key] of [['webhooks', '/webhooks', 'nav.webhooks'], ['calls', '/calls', 'nav.calls'], ['alerts', '/alerts', 'nav.alerts'], ['audit', '/audit', 'nav.audit']]) { %>
      <li><a href="<%= path %>"<% if (it.section === section) { %> aria-current="page"<% } %>><%= it.t(key) %></a></li>
<% } %>
    </ul>
  </nav>
  <span class="who"><%= it.t('nav.signedin') %> <code><%= it.principal.id %></code> (<%= it.principal.role %><% if (it.principal.prefix) { %>, <%= it.principal.prefix %>*<% } %>)</span>
  <form method="post" action="/logout" class="inline">
    <input type="hidden" name="_csrf" value="<%= it.csrf %>">
    <button type="submit"><%= it.t('nav.signout') %></button>
  </form>
<% } %>
  <nav class="lang" aria-label="<%= it.t('nav.language') %>">
    <a href="/lang/en?back=<%= encodeURIComponent(it.path) %>" lang="en" hreflang="en"<% if (it.lang === 'en') { %> aria-current="true"<% } %>>English</a>
    <a href="/lang/nl?back=<%= encodeURIComponent(it.path) %>" lang="nl" hreflang="nl"<% if (it.lang === 'nl') { %> aria-current="true"<% } %>>Nederlands</a>
  </nav>
</header>
<main id="main" tabindex="-1">
<% if (it.flash) { %><p class="flash <%= it.flash.kind %>" role="status"><%= it.flash.text %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>
`

export const LOGIN = `<% layout('@layout') %>
<h1><%= it.t('login.title') %></h1>
<form method="post" action="/login" class="login">
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <p>
    <label for="token"><%= it.t('login.token') %></label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus aria-describedby="token-help">
    <span id="token-help" class="help"><%= it.t('login.help') %></span>
  </p>
  <p><button type="submit"><%= it.t('login.submit') %></button></p>
</form>
`

export const ERROR = `<% layout('@layout') %>
<h1><%= it.t('error.title') %></h1>
<p role="alert"><%= it.message %></p>
<p><a href="/webhooks"><%= it.t('common.back') %></a></p>
`

export const WEBHOOKS = `<% layout('@layout') %>
<h1><%= it.t('webhooks.title') %></h1>
<% if (it.principal.role === 'admin') { %><p><a class="button" href="/webhooks/new"><%= it.t('webhooks.new') %></a></p><% } %>
<% if (it.webhooks.length === 0) { %>
<p><%= it.t('webhooks.none') %></p>
<% } else { %>
<table class="list" id="webhooks">
  <thead><tr>
    <th scope="col"><%= it.t('webhooks.name') %></th>
    <th scope="col"><%= it.t('webhooks.description') %></th>
    <th scope="col"><%= it.t('webhooks.url') %></th>
    <th scope="col"><%= it.t('webhooks.ivr') %></th>
    <th scope="col"><%= it.t('webhooks.state') %></th>
    <th scope="col"><%= it.t('webhooks.lastcall') %></th>
  </tr></thead>
  <tbody>
<% for (const w of it.webhooks) { %>
    <tr data-webhook="<%= w.name %>">
      <th scope="row"><a href="/webhooks/<%= encodeURIComponent(w.name) %>"><%= w.name %></a></th>
      <td class="description"><%= w.description %></td>
      <td class="url"><code><%= w.method %> <%= w.url %></code></td>
      <td><%= w.ivr ? it.t('common.on') : it.t('common.off') %></td>
      <td class="state state-<%= w.state %>"><%= it.t('state.' + w.state) %><% for (const p of w.problems) { %><br><small><%= p.field %>: <%= p.reason %></small><% } %></td>
      <td><% if (w.lastCall) { %><a href="/calls?webhook=<%= encodeURIComponent(w.name) %>"><%= it.time(w.lastCall.t) %></a><br><small class="result-<%= w.lastCall.result %>"><%= w.lastCall.result %> (<%= w.lastCall.reason %>)</small><% } else { %><%= it.t('common.never') %><% } %></td>
    </tr>
<% } %>
  </tbody>
</table>
<% } %>
`
