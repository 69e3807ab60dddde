/**
 * The call button's styles, inside its shadow root. `:host` is reset with `all: initial !important`: in a
 * shadow root an `!important` declaration outranks the host page's own (`* { all: unset !important }`
 * included), so nothing of the site's CSS reaches the button or its panel, and nothing here reaches the
 * site.
 */
export const EMBED_CSS = `
:host{all:initial!important;display:inline-block!important;visibility:visible!important;opacity:1!important;direction:ltr!important}
:host([hidden]){display:none!important}
:host([floating]){display:block!important;position:static!important;width:0!important;height:0!important}
*{box-sizing:border-box}
[hidden]{display:none!important}
.launcher{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;gap:10px;min-height:52px;padding:8px 20px 8px 14px;border-radius:999px;border:0;cursor:pointer;background:var(--c);color:var(--t);font:600 16px/1.2 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;letter-spacing:normal;text-align:left;box-shadow:0 2px 4px rgb(15 23 42/.18),0 10px 28px -8px rgb(15 23 42/.45);position:relative;-webkit-tap-highlight-color:transparent}
.launcher:hover{filter:brightness(1.08)}
.launcher:focus-visible,.bar button:focus-visible{outline:3px solid #2563eb;outline-offset:3px}
:host([floating]) .launcher{position:fixed;z-index:2147483000}
.icon{display:block;width:22px;height:22px;flex:none}
.text{display:flex;flex-direction:column;gap:2px}
.state{font-weight:500;font-size:13px;opacity:.92}
.state:empty{display:none}
.dot{position:absolute;top:6px;left:30px;width:12px;height:12px;border-radius:50%;border:2px solid var(--c);background:#94a3b8}
:host([data-status=ready]) .dot{background:#22c55e}
:host(:not([data-status])) .dot{display:none}
.panel{position:fixed;z-index:2147483001;display:flex;flex-direction:column;width:380px;height:min(640px,calc(100vh - 112px));background:#fff;color:#0f172a;border-radius:16px;overflow:hidden;box-shadow:0 4px 8px rgb(15 23 42/.16),0 24px 64px -12px rgb(15 23 42/.5);font:15px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.panel.minimised{visibility:hidden;opacity:0;pointer-events:none;transform:translateY(12px)}
@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .16s,transform .16s,visibility .16s}}
.bar{display:flex;align-items:center;gap:4px;padding:6px 6px 6px 16px;background:var(--c);color:var(--t)}
.title{flex:1;font-weight:600;font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bar button{all:initial;box-sizing:border-box;display:grid;place-items:center;width:40px;height:40px;border-radius:10px;cursor:pointer;color:inherit}
.bar button:hover{background:rgb(255 255 255/.18)}
.bar svg{width:20px;height:20px}
iframe{display:block;flex:1;width:100%;min-height:0;border:0;background:#eef2f7;color-scheme:normal}
.bottom-right{right:20px;bottom:20px}.bottom-left{left:20px;bottom:20px}.top-right{right:20px;top:20px}.top-left{left:20px;top:20px}
.panel.bottom-right,.panel.bottom-left{bottom:88px}.panel.top-right,.panel.top-left{top:88px}
:host(:not([floating])) .panel.bottom-right,:host(:not([floating])) .panel.bottom-left{bottom:20px}
:host(:not([floating])) .panel.top-right,:host(:not([floating])) .panel.top-left{top:20px}
@media (max-width:480px){.panel{inset:0!important;width:100%;height:100%;border-radius:0}.launcher.covered{visibility:hidden}}
`;
