/** Recent calls, one call's detail, alerts and the audit trail. */
export const CALLS = `<% layout('@layout') %>
<h1><% if (it.webhook) { %><%= it.t('calls.for') %> <a href="/webhooks/<%= encodeURIComponent(it.webhook) %>"><%= it.webhook %></a><% } else { %><%= it.t('calls.title') %><% } %></h1>
<% if (it.webhook) { %><p><a href="/calls"><%= it.t('common.all') %></a></p><% } %>
<% if (it.calls.length === 0) { %><p><%= it.t('calls.none') %></p><% } else { %>
<table class="list" id="calls">
  <thead><tr>
<% for (const key of ['calls.time', 'calls.webhook', 'calls.did', 'calls.caller', 'calls.result', 'calls.reason', 'calls.http', 'calls.latency', 'calls.attempts', 'calls.destination', 'calls.disposition']) { %><th scope="col"><%= it.t(key) %></th><% } %>
  </tr></thead>
  <tbody>
<% for (const c of it.calls) { %>
    <tr data-uuid="<%= c.uuid %>">
      <td><a href="/calls/<%= encodeURIComponent(c.uuid) %>?webhook=<%= encodeURIComponent(c.webhook) %>"><%= it.time(c.t) %></a></td>
      <td><%= c.webhook %></td>
      <td><%= c.did %></td>
      <td class="caller"><%= c.caller %></td>
      <td class="result-<%= c.result %>"><%= c.result %></td>
      <td><%= c.reason %></td>
      <td><%= c.httpStatus ?? '' %></td>
      <td><%= c.latencyMs === undefined ? '' : c.latencyMs + ' ms' %></td>
      <td><%= c.attempts %></td>
      <td><%= c.destination ?? '' %></td>
      <td><%= c.disposition %></td>
    </tr>
<% } %>
  </tbody>
</table>
<% } %>
`

export const CALL = `<% layout('@layout') %>
<% const c = it.call %>
<h1><%= it.t('call.title') %> <code><%= c.uuid %></code></h1>
<p><a href="/calls?webhook=<%= encodeURIComponent(c.webhook) %>"><%= it.t('calls.for') %> <%= c.webhook %></a></p>
<dl class="facts" id="call-facts">
  <dt><%= it.t('calls.time') %></dt><dd><%= it.time(c.t) %></dd>
  <dt><%= it.t('calls.webhook') %></dt><dd><%= c.webhook %></dd>
  <dt><%= it.t('calls.did') %></dt><dd><%= c.did %></dd>
  <dt><%= it.t('calls.caller') %></dt><dd class="caller"><%= c.caller %></dd>
  <dt><%= it.t('call.callername') %></dt><dd class="callername"><%= c.callerName %></dd>
  <dt><%= it.t('calls.result') %></dt><dd class="result-<%= c.result %>"><%= c.result %> (<%= c.reason %>)</dd>
  <dt><%= it.t('calls.destination') %></dt><dd><%= c.destination ?? '' %></dd>
  <dt><%= it.t('calls.disposition') %></dt><dd><%= c.disposition %></dd>
<% if (c.bridgeCause) { %><dt><%= it.t('call.cause') %></dt><dd><%= c.bridgeCause %></dd><% } %>
<% if (c.ivr) { %><dt><%= it.t('call.ivrattempts') %></dt><dd><%= c.attempts %></dd><% } %>
  <dt><%= it.t('call.duration') %></dt><dd><%= c.durationMs %> ms</dd>
</dl>
<h2><%= it.t('call.requests') %></h2>
<% if (c.requests.length === 0) { %><p><%= it.t('call.norequests') %></p><% } else { %>
<ol class="requests" id="call-requests">
<% for (const r of c.requests) { %>
  <li><code><%= r.method %> <%= r.url %></code><% if (r.codeLength) { %> (<%= it.t('call.code') %>: <%= '*'.repeat(r.codeLength) %>)<% } %><br>
  <% if (r.ok) { %>HTTP <%= r.httpStatus %>, <%= r.latencyMs %> ms: status=<%= r.status %><% if (r.destination !== undefined) { %> destination=<%= JSON.stringify(r.destination) %><% } %><% if (r.callername !== undefined) { %> callername=<%= JSON.stringify(r.callername) %><% } %><% } else { %><%= r.reason %>: <%= r.detail %> (<%= r.latencyMs %> ms)<% } %></li>
<% } %>
</ol>
<% } %>
<h2><%= it.t('call.timeline') %></h2>
<ol class="timeline" id="call-timeline">
  <li><span class="at">+0 ms</span> <%= it.t('call.started') %> (<%= it.time(c.started) %>)</li>
<% for (const r of c.requests) { %>
  <li><span class="at">+<%= r.at %> ms</span> <%= it.t('call.request') %><% if (r.codeLength) { %> (<%= it.t('call.code') %>)<% } %>: <%= r.ok ? r.status : r.reason %>, <%= r.latencyMs %> ms</li>
<% } %>
  <li><span class="at">+<%= c.durationMs %> ms</span> <%= it.t('call.ended') %>: <%= c.result %> (<%= c.reason %>), <%= c.disposition %></li>
</ol>
`

export const ALERTS = `<% layout('@layout') %>
<h1><%= it.t('alerts.title') %><% if (it.webhook) { %>: <%= it.webhook %><% } %></h1>
<% if (it.alerts.length === 0) { %><p><%= it.t('alerts.none') %></p><% } else { %>
<table class="list" id="alerts">
  <thead><tr><th scope="col"><%= it.t('alerts.time') %></th><th scope="col"><%= it.t('alerts.webhook') %></th><th scope="col"><%= it.t('alerts.what') %></th><th scope="col"><%= it.t('alerts.count') %></th><th scope="col"><%= it.t('alerts.detail') %></th></tr></thead>
  <tbody>
<% for (const a of it.alerts) { %>
    <tr class="alert-<%= a.kind %>">
      <td><%= it.time(a.t) %></td>
      <td><% if (a.webhook) { %><a href="/webhooks/<%= encodeURIComponent(a.webhook) %>"><%= a.webhook %></a><% } else { %><%= it.t('alert.router') %><% } %></td>
      <td><%= it.t('alert.' + a.kind) %><% if (a.reason) { %>: <%= a.reason %><% } %></td>
      <td><%= a.count %></td>
      <td><%= a.detail ?? '' %></td>
    </tr>
<% } %>
  </tbody>
</table>
<% } %>
`

export const AUDIT = `<% layout('@layout') %>
<h1><%= it.t('audit.title') %><% if (it.webhook) { %>: <%= it.webhook %><% } %></h1>
<% if (it.audit.length === 0) { %><p><%= it.t('audit.none') %></p><% } else { %>
<table class="list" id="audit">
  <thead><tr><th scope="col"><%= it.t('audit.time') %></th><th scope="col"><%= it.t('audit.webhook') %></th><th scope="col"><%= it.t('audit.who') %></th><th scope="col"><%= it.t('audit.action') %></th></tr></thead>
  <tbody>
<% for (const e of it.audit) { %>
    <tr<% if (e.outside) { %> class="outside"<% } %>>
      <td><%= it.time(e.t) %></td>
      <td><%= e.webhook %></td>
      <td><%= e.outside ? it.t('audit.outside') : e.who %></td>
      <td><strong><%= it.t('audit.' + e.action) %></strong><% if (e.outside) { %> (<%= it.t('audit.outside') %>)<% } %>
        <ul class="changes"><% for (const ch of e.changes) { %><li><code><%= ch.field %></code>: <%= ch.before ?? it.t('audit.unset') %> &rarr; <%= ch.after ?? it.t('audit.unset') %></li><% } %></ul></td>
    </tr>
<% } %>
  </tbody>
</table>
<% } %>
`
