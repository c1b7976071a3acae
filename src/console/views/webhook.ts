/**
 * One webhook: its form (every field, grouped as users know them), the
 * dialplan lines to paste, and "test this webhook" with the dry run's result.
 */
export const FIELD = `<p class="field<% if (it.problems.length) { %> has-problem<% } %>">
  <label for="f-<%= it.f %>"><%= it.label %></label>
  <input id="f-<%= it.f %>" name="<%= it.f %>" type="<%= it.type || 'text' %>" value="<%= it.value %>"<% if (it.placeholder) { %> placeholder="<%= it.placeholder %>"<% } %><% if (it.readonly) { %> readonly<% } %><% if (it.problems.length) { %> aria-invalid="true"<% } %> aria-describedby="<%= it.f %>-help <%= it.f %>-problem">
  <% if (it.help) { %><span class="help" id="<%= it.f %>-help"><%= it.help %></span><% } %>
  <% if (it.problems.length) { %><span class="problem" id="<%= it.f %>-problem" data-problem-for="<%= it.f %>"><% for (const p of it.problems) { %><%= p %> <% } %></span><% } %>
</p>
`

export const STEPS = `<fieldset class="steps" id="<%= it.f %>-steps">
  <legend><%= it.label %></legend>
  <p class="help" id="<%= it.f %>-help"><%= it.help %> <% for (const app of it.apps) { %><code title="<%= app.syntax %>"><%= app.name %></code> <% } %></p>
  <% for (const p of it.listProblems) { %><p class="problem" data-problem-for="<%= it.f %>"><%= p %></p><% } %>
  <ol data-rows="<%= it.f %>">
<% it.rows.forEach((row, i) => { %>
    <li class="step<% if (row.reason) { %> has-problem<% } %>">
      <label for="<%= it.f %>-<%= i %>"><%= it.stepLabel %> <%= i + 1 %></label>
      <input id="<%= it.f %>-<%= i %>" name="<%= it.f %>" value="<%= row.value %>"<% if (it.readonly) { %> readonly<% } %><% if (row.reason) { %> aria-invalid="true" aria-describedby="<%= it.f %>-<%= i %>-reason"<% } %>>
      <% if (row.reason) { %><span class="problem" id="<%= it.f %>-<%= i %>-reason" data-step-problem="<%= it.f %>-<%= i %>"><%= row.reason %></span><% } %>
    </li>
<% }) %>
  </ol>
  <% if (!it.readonly) { %><button type="button" class="add-row" data-add-row="<%= it.f %>"><%= it.addLabel %></button><% } %>
</fieldset>
`

export const WEBHOOK = `<% layout('@layout') %>
<% const f = (name, label, extra) => include('@field', Object.assign({ f: name, label: it.t(label), value: it.values[name] ?? '', problems: it.problems[name] ?? [], readonly: it.readonly }, extra || {})) %>
<h1><%= it.isNew ? it.t('form.title.new') : it.t('form.title.edit') + ' ' + it.name %></h1>
<% if (!it.isNew) { %><p class="state state-<%= it.state %>"><%= it.t('webhooks.state') %>: <strong><%= it.t('state.' + it.state) %></strong></p>
<p class="links"><a href="/calls?webhook=<%= encodeURIComponent(it.name) %>"><%= it.t('calls.title') %></a> · <a href="/alerts?webhook=<%= encodeURIComponent(it.name) %>"><%= it.t('alerts.title') %></a> · <a href="/audit?webhook=<%= encodeURIComponent(it.name) %>"><%= it.t('audit.title') %></a></p><% } %>
<% if (it.readonly) { %><p class="note"><%= it.t('common.readonly') %></p><% } %>
<% if (it.refused) { %><div class="problems" role="alert" id="refused"><p><%= it.t('form.refused') %></p><ul><% for (const p of it.otherProblems) { %><li><%= p %></li><% } %></ul></div><% } %>
<form method="post" action="<%= it.action %>" id="webhook-form" novalidate>
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <fieldset>
    <legend><%= it.t('form.group.general') %></legend>
<% if (it.isNew) { %>
    <%~ f('name', 'form.name', { value: it.name, help: it.t('form.name.help'), problems: it.problems['(name)'] ?? [] }) %>
<% } %>
    <%~ f('description', 'form.description') %>
  </fieldset>
  <fieldset>
    <legend><%= it.t('form.group.callee') %></legend>
    <fieldset class="radios<% if ((it.problems.caller_id ?? []).length) { %> has-problem<% } %>">
      <legend><%= it.t('form.caller_id') %></legend>
<% for (const mode of ['caller', 'dialed', 'suppressed']) { %>
      <p><input type="radio" name="caller_id" id="caller_id-<%= mode %>" value="<%= mode %>"<% if ((it.values.caller_id || 'caller') === mode) { %> checked<% } %><% if (it.readonly) { %> disabled<% } %>> <label for="caller_id-<%= mode %>"><%= it.t('form.caller_id.' + mode) %></label></p>
<% } %>
      <% for (const p of it.problems.caller_id ?? []) { %><p class="problem" data-problem-for="caller_id"><%= p %></p><% } %>
    </fieldset>
    <p class="field<% if ((it.problems.callername_mode ?? []).length) { %> has-problem<% } %>">
      <label for="f-callername_mode"><%= it.t('form.callername_mode') %></label>
      <select id="f-callername_mode" name="callername_mode"<% if (it.readonly) { %> disabled<% } %>>
<% for (const mode of ['webhook', 'keep', 'prepend', 'replace']) { %>
        <option value="<%= mode %>"<% if ((it.values.callername_mode || 'webhook') === mode) { %> selected<% } %>><%= it.t('form.callername_mode.' + mode) %></option>
<% } %>
      </select>
      <% for (const p of it.problems.callername_mode ?? []) { %><span class="problem" data-problem-for="callername_mode"><%= p %></span><% } %>
    </p>
    <%~ f('callername_text', 'form.callername_text') %>
  </fieldset>
  <fieldset>
    <legend><%= it.t('form.group.request') %></legend>
    <%~ f('url', 'form.url', { type: 'url', help: it.t('form.url.help'), placeholder: 'https://crm.example.com/lookup?callerid={callerid}&did={did}' }) %>
    <p class="preview"><span id="url-preview-label"><%= it.t('form.url.preview') %></span> (<% for (const [k, v] of Object.entries(it.samples)) { %><code>{<%= k %>}</code>=<%= v %> <% } %>):
      <output id="url-preview" for="f-url" aria-labelledby="url-preview-label" aria-live="polite"<% for (const [k, v] of Object.entries(it.samples)) { %> data-sample-<%= k %>="<%= v %>"<% } %>><%= it.preview %></output></p>
    <p class="field">
      <label for="f-method"><%= it.t('form.method') %></label>
      <select id="f-method" name="method"<% if (it.readonly) { %> disabled<% } %>>
<% for (const m of ['GET', 'POST']) { %><option<% if ((it.values.method || 'GET').toUpperCase() === m) { %> selected<% } %>><%= m %></option><% } %>
      </select>
      <% for (const p of it.problems.method ?? []) { %><span class="problem" data-problem-for="method"><%= p %></span><% } %>
    </p>
    <%~ f('timeout_ms', 'form.timeout_ms', { type: 'text', placeholder: '3000' }) %>
    <%~ f('secret', 'form.secret', { type: 'password', value: '', help: it.secretSet ? it.t('form.secret.set') : it.t('form.secret.unset') }) %>
<% if (it.secretSet && !it.readonly) { %>
    <p><input type="checkbox" id="f-secret_remove" name="secret_remove" value="yes"> <label for="f-secret_remove"><%= it.t('form.secret.remove') %></label></p>
<% } %>
  </fieldset>
  <fieldset>
    <legend><%= it.t('form.group.ivr') %></legend>
    <p><input type="checkbox" id="f-ivr" name="ivr" value="yes" aria-controls="ivr-fields"<% if (it.ivrOn) { %> checked<% } %><% if (it.readonly) { %> disabled<% } %>> <label for="f-ivr"><%= it.t('form.ivr') %></label>
    <% for (const p of it.problems.ivr ?? []) { %><span class="problem" data-problem-for="ivr"><%= p %></span><% } %></p>
    <div id="ivr-fields" class="ivr-fields">
      <%~ f('ivr_timeout', 'form.ivr_timeout', { placeholder: '5' }) %>
      <%~ f('ivr_attempts', 'form.ivr_attempts', { placeholder: '3' }) %>
      <%~ f('ivr_min_digits', 'form.ivr_min_digits', { placeholder: '1' }) %>
      <%~ f('ivr_max_digits', 'form.ivr_max_digits', { placeholder: '16' }) %>
      <%~ f('ivr_terminator', 'form.ivr_terminator', { placeholder: '#' }) %>
      <%~ f('ivr_start_message', 'form.ivr_start_message') %>
      <%~ f('ivr_error_message', 'form.ivr_error_message') %>
      <%~ f('ivr_timeout_message', 'form.ivr_timeout_message') %>
    </div>
  </fieldset>
  <fieldset>
    <legend><%= it.t('form.group.routing') %></legend>
    <%~ f('destinations', 'form.destinations', { help: it.t('form.destinations.help') }) %>
<% for (const list of ['on_success', 'on_failure']) { %>
    <%~ include('@steps', { f: list, label: it.t('form.' + list), help: it.t('form.steps.help'), apps: it.apps, rows: it.rows[list], listProblems: it.listProblems[list] ?? [], readonly: it.readonly, stepLabel: it.t('form.step'), addLabel: it.t('form.steps.add') }) %>
<% } %>
  </fieldset>
<% if (!it.readonly) { %><p><button type="submit" id="save"><%= it.t('form.save') %></button></p><% } %>
</form>
<% if (!it.isNew) { %>
<section aria-labelledby="dialplan-title">
  <h2 id="dialplan-title"><%= it.t('dialplan.title') %></h2>
  <p class="help"><%= it.t('dialplan.help') %></p>
  <pre id="dialplan"><code><%= it.dialplan %></code></pre>
</section>
<section aria-labelledby="test-title">
  <h2 id="test-title"><%= it.t('test.title') %></h2>
  <p class="help"><%= it.t('test.help') %></p>
  <form method="post" action="/webhooks/<%= encodeURIComponent(it.name) %>/test" id="test-form" class="compact">
    <input type="hidden" name="_csrf" value="<%= it.csrf %>">
<% for (const [k, label] of [['did', 'test.did'], ['callerid', 'test.callerid'], ['callername', 'test.callername'], ['code', 'test.code']]) { %>
    <p><label for="t-<%= k %>"><%= it.t(label) %></label> <input id="t-<%= k %>" name="<%= k %>" value="<%= it.testInput[k] %>"></p>
<% } %>
    <p><button type="submit" id="run-test"><%= it.t('test.run') %></button></p>
  </form>
<% if (it.test) { %><%~ include('@test-result', it) %><% } %>
</section>
<% if (it.principal.role === 'admin') { %>
<form method="post" action="/webhooks/<%= encodeURIComponent(it.name) %>/delete" class="danger" data-confirm="<%= it.t('form.delete.confirm') %>">
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <button type="submit"><%= it.t('form.delete') %></button>
</form>
<% } %>
<% } %>
`

export const TEST_RESULT = `<div id="test-result" class="test-result" role="status">
<% const r = it.test %>
<% if (r.kind === 'missing') { %><p><%= it.t('test.missing') %></p>
<% } else if (r.kind === 'invalid') { %><p><%= it.t('test.invalid') %></p><ul><% for (const p of r.problems) { %><li><%= p %></li><% } %></ul>
<% } else { %>
<% if (r.ivrWithoutCode) { %><p class="note"><%= it.t('test.ivrnote') %></p><% } %>
<dl>
  <dt><%= it.t('test.request') %></dt><dd><code id="test-request"><%= r.request.method %> <%= r.request.maskedUrl %></code><% if (r.request.signed) { %> (<%= it.t('test.signed') %>)<% } %></dd>
  <dt><%= it.t('test.answer') %></dt><dd id="test-answer"><% if (r.answer.ok) { %>HTTP <%= r.answer.httpStatus %>, <%= r.answer.latencyMs %> ms: status=<%= r.answer.status %><% if (r.answer.destination !== undefined) { %> destination=<%= JSON.stringify(r.answer.destination) %><% } %><% if (r.answer.callername !== undefined) { %> callername=<%= JSON.stringify(r.answer.callername) %><% } %><% } else { %><%= r.answer.reason %>: <%= r.answer.detail %> (<%= r.answer.latencyMs %> ms)<% } %></dd>
  <dt><%= it.t('test.decision') %></dt><dd id="test-decision"><% if (r.decision.kind === 'bridge') { %>bridge <code><%= r.decision.dialString %></code><% } else { %><%= r.decision.why %>: <%= it.describeSteps(r.decision.steps) %><% } %></dd>
<% if (r.decision.kind === 'bridge') { %>
  <dt><%= it.t('test.callee') %></dt><dd id="test-callee"><%= r.decision.callee.anonymous ? 'anonymous (Privacy: id); P-Asserted-Identity: ' : '' %><%= JSON.stringify(r.decision.callee.name) %> <%= r.decision.callee.number %></dd>
<% } %>
  <dt><%= it.t('test.variables') %></dt><dd><code id="test-variables"><% for (const [k, v] of r.variables) { %><%= k %>=<%= v %> <% } %></code></dd>
</dl>
<% } %>
</div>
`
