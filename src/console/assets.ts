/**
 * The console's only script and stylesheet, served from /assets (the CSP
 * allows scripts and styles from the console itself, nothing inline). The
 * script only enhances: every form works without it. It writes text with
 * textContent, never markup.
 */
export const CONSOLE_JS = `'use strict'
document.addEventListener('DOMContentLoaded', function () {
  // "Use the IVR" reveals the IVR's fields.
  var ivr = document.getElementById('f-ivr')
  var ivrFields = document.getElementById('ivr-fields')
  if (ivr && ivrFields) {
    var sync = function () {
      ivrFields.hidden = !ivr.checked
      ivr.setAttribute('aria-expanded', String(ivr.checked))
    }
    ivr.addEventListener('change', sync)
    sync()
  }

  // Live preview of the URL template rendered with the sample values (percent-encoded, as the router does).
  var url = document.getElementById('f-url')
  var preview = document.getElementById('url-preview')
  if (url && preview) {
    var names = ['code', 'did', 'callerid', 'callername', 'uuid']
    var render = function () {
      var template = url.value
      var out = ''
      for (var i = 0; i < template.length; i++) {
        var ch = template[i]
        if (ch === '}') { preview.textContent = 'unmatched "}" at position ' + (i + 1); return }
        if (ch !== '{') { out += ch; continue }
        var close = template.indexOf('}', i)
        if (close === -1) { preview.textContent = 'unmatched "{" at position ' + (i + 1); return }
        var name = template.slice(i + 1, close)
        if (names.indexOf(name) === -1) { preview.textContent = 'unknown placeholder {' + name + '}'; return }
        out += encodeURIComponent(preview.getAttribute('data-sample-' + name) || '')
        i = close
      }
      preview.textContent = out
    }
    url.addEventListener('input', render)
  }

  // "Add a row" to a step list: a copy of its last row, emptied.
  Array.prototype.forEach.call(document.querySelectorAll('[data-add-row]'), function (button) {
    button.addEventListener('click', function () {
      var list = document.querySelector('[data-rows="' + button.getAttribute('data-add-row') + '"]')
      if (!list || !list.lastElementChild) return
      var row = list.lastElementChild.cloneNode(true)
      var index = list.children.length
      var input = row.querySelector('input')
      var label = row.querySelector('label')
      var problem = row.querySelector('.problem')
      if (problem) problem.remove()
      row.classList.remove('has-problem')
      var id = button.getAttribute('data-add-row') + '-' + index
      input.value = ''
      input.id = id
      input.removeAttribute('aria-invalid')
      input.removeAttribute('aria-describedby')
      label.htmlFor = id
      label.textContent = label.textContent.replace(/\\d+$/, String(index + 1))
      list.appendChild(row)
      input.focus()
    })
  })

  // Ask before deleting.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-confirm]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault()
    })
  })
})
`

export const CONSOLE_CSS = `:root { --fg: #1d232b; --muted: #56606b; --line: #d5dbe1; --bg: #f7f8fa; --accent: #0b5cad; --bad: #a4161a; --good: #1b6e34; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f5a623; outline-offset: 1px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5em; }
.skip:focus { left: .5em; }
header.top { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; padding: .6em 1.2em; background: #17324d; color: #fff; }
header.top a { color: #dce9f7; }
header.top a[aria-current] { color: #fff; font-weight: 600; text-decoration-thickness: 3px; }
header.top nav ul { display: flex; gap: 1em; list-style: none; margin: 0; padding: 0; }
header.top .brand { font-weight: 700; }
header.top .who { font-size: .85em; color: #b9cbe0; margin-left: auto; }
header.top .lang { display: flex; gap: .6em; font-size: .9em; }
form.inline { display: inline; }
main { max-width: 1200px; margin: 0 auto; padding: 1em 1.2em 3em; }
h1 { font-size: 1.5em; margin: .4em 0 .6em; }
h2 { font-size: 1.2em; margin-top: 1.8em; }
table.list { border-collapse: collapse; width: 100%; background: #fff; }
table.list th, table.list td { border-bottom: 1px solid var(--line); padding: .4em .5em; text-align: left; vertical-align: top; }
table.list thead th { background: #eef1f4; font-size: .85em; }
td.url code { word-break: break-all; }
.state-valid { color: var(--good); }
.state-invalid, .result-failure { color: var(--bad); }
.state-circuit_open { color: var(--warn); }
.result-success { color: var(--good); }
fieldset { border: 1px solid var(--line); background: #fff; margin: 0 0 1em; padding: .6em 1em; }
fieldset fieldset { border: 0; padding: 0; margin: .4em 0; }
legend { font-weight: 600; padding: 0 .3em; }
.field label, .steps label { display: block; font-weight: 500; }
input[type=text], input[type=url], input[type=password], input:not([type]), select { width: 100%; max-width: 48em; padding: .35em .45em; border: 1px solid #9aa5b1; border-radius: 3px; font: inherit; }
.help { display: block; color: var(--muted); font-size: .88em; }
.problem { display: block; color: var(--bad); font-weight: 500; }
.has-problem input, .has-problem select { border-color: var(--bad); border-width: 2px; }
.problems { border: 2px solid var(--bad); background: #fff4f4; padding: .4em 1em; margin-bottom: 1em; }
.flash { padding: .5em 1em; border-left: 4px solid var(--accent); background: #eaf2fb; }
.flash.error { border-color: var(--bad); background: #fff4f4; }
.note { color: var(--warn); }
.steps ol { padding-left: 1.4em; }
.steps li { margin-bottom: .4em; }
.steps code { font-size: .85em; }
output#url-preview { display: block; font-family: ui-monospace, monospace; background: #f1f4f7; padding: .3em .5em; word-break: break-all; }
button, .button { background: var(--accent); color: #fff; border: 0; border-radius: 3px; padding: .45em 1em; font: inherit; cursor: pointer; text-decoration: none; display: inline-block; }
header.top button { background: #2d5a87; }
form.danger button { background: var(--bad); margin-top: 2em; }
pre { background: #fff; border: 1px solid var(--line); padding: .8em; overflow-x: auto; }
dl.facts, .test-result dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; background: #fff; padding: .6em 1em; border: 1px solid var(--line); }
dt { font-weight: 600; }
dd { margin: 0; word-break: break-all; }
form.compact p { display: inline-block; margin-right: 1em; }
form.compact input { width: 12em; }
tr.outside td { background: #fff8e6; }
ul.changes { margin: .2em 0; padding-left: 1.2em; font-size: .9em; }
`
