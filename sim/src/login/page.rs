//! The login page's HTML and its inline script, with the usual selectors or the changed ones.

use serde_json::{Value, json};

use super::{SUCCESS, Step};

/// Field names that carry the username, in either selector set.
pub(crate) const USERNAME_FIELDS: &[&str] = &["username", "user_id"];
/// Field names that carry the password, in either selector set.
pub(crate) const PASSWORD_FIELDS: &[&str] = &["password", "user_secret"];
/// Field names of the live/paper toggle, in either selector set.
pub(crate) const PAPER_FIELDS: &[&str] = &["paperSwitch", "trading_mode"];
/// Field names that carry the second-factor code, in either selector set.
pub(crate) const CODE_FIELDS: &[&str] = &["bronzeResponse", "otp_code"];
/// The hidden field naming the login waiting for its second factor.
pub(crate) const LOGIN_ID_FIELD: &str = "loginId";
/// Fields whose values never reach the request journal.
pub(crate) const SECRET_FIELDS: &[&str] =
    &["password", "user_secret", "bronzeResponse", "otp_code"];

/// Every id, class and field name the page uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selectors {
    root_id: &'static str,
    root_class: &'static str,
    form_id: &'static str,
    username_id: &'static str,
    username_name: &'static str,
    password_id: &'static str,
    password_name: &'static str,
    toggle_id: &'static str,
    toggle_name: &'static str,
    submit_class: &'static str,
    error_class: &'static str,
    twofa_id: &'static str,
    code_form_id: &'static str,
    code_id: &'static str,
    code_name: &'static str,
    code_submit_class: &'static str,
    push_class: &'static str,
    success_id: &'static str,
}

/// IBKR's page as `gateway.md` §4 records it.
pub(crate) const USUAL: Selectors = Selectors {
    root_id: "xyz-login",
    root_class: "login",
    form_id: "xyz-form",
    username_id: "xyz-field-username",
    username_name: "username",
    password_id: "xyz-field-password",
    password_name: "password",
    toggle_id: "toggle1",
    toggle_name: "paperSwitch",
    submit_class: "btn btn-lg xyz-button-login",
    error_class: "xyz-errormessage",
    twofa_id: "twofactbase",
    code_form_id: "xyz-form-2fa",
    code_id: "xyz-field-bronze-response",
    code_name: "bronzeResponse",
    code_submit_class: "btn btn-lg xyz-button-2fa",
    push_class: "login-step-notification",
    success_id: "xyz-login-success",
};

/// The `changed_selectors` fault: none of the usual ids, classes or names.
pub(crate) const CHANGED: Selectors = Selectors {
    root_id: "signin-root",
    root_class: "signin",
    form_id: "signin-form",
    username_id: "signin-user",
    username_name: "user_id",
    password_id: "signin-secret",
    password_name: "user_secret",
    toggle_id: "mode-switch",
    toggle_name: "trading_mode",
    submit_class: "button signin-submit",
    error_class: "signin-alert",
    twofa_id: "second-factor",
    code_form_id: "second-factor-form",
    code_id: "second-factor-code",
    code_name: "otp_code",
    code_submit_class: "button second-factor-submit",
    push_class: "push-pending",
    success_id: "signin-done",
};

/// Escape text for HTML content and double-quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;background:#f4f5f7;margin:0}\
.box{max-width:380px;margin:60px auto;background:#fff;padding:28px 32px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.2)}\
h1{font-size:22px;margin:0 0 18px}\
label{display:block;font-size:13px;color:#444;margin:10px 0 4px}\
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:9px;font-size:15px;border:1px solid #bbb;border-radius:4px}\
.mode{display:flex;align-items:center;gap:8px;margin-bottom:8px;font-size:14px}\
.mode label{display:inline;margin:0;cursor:pointer}\
.btn,.button{display:block;width:100%;margin-top:18px;padding:10px;font-size:16px;color:#fff;background:#d81222;border:0;border-radius:4px;cursor:pointer}\
.err{margin-top:12px;padding:8px;color:#a00;background:#fde8e8;border:1px solid #f5b5b5;border-radius:4px;font-size:14px}\
.note{padding:12px;background:#eef4fb;border:1px solid #b5cdea;border-radius:4px;font-size:14px}\
.ok{font-size:18px;color:#176a2c}";

/// The inline script: submits each form with `fetch` and updates the page in place.
fn script(s: &Selectors) -> String {
    let conf = json!({
        "root": s.root_id,
        "forms": [s.form_id, s.code_form_id],
        "error": s.error_class,
    });
    format!(
        r#"<script>
(function () {{
  var S = {conf};
  function showError(form, text) {{
    var box = form.querySelector("." + S.error.split(" ")[0]);
    if (!box) {{
      box = document.createElement("div");
      box.className = S.error + " err";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.querySelector("button[type=submit]"));
    }}
    box.textContent = text;
  }}
  function show(answer, form) {{
    if (answer.step === "error") {{ showError(form, answer.message); return; }}
    document.getElementById(S.root).innerHTML = answer.html;
    wire();
  }}
  function poll(id) {{
    setTimeout(function () {{
      fetch("/sso/Login/push?loginId=" + encodeURIComponent(id), {{headers: {{"Accept": "application/json"}}}})
        .then(function (r) {{ return r.json(); }})
        .then(function (a) {{
          if (a.status === "approved") {{ show({{step: "success", html: a.html}}); }}
          else if (a.status === "pending") {{ poll(id); }}
        }})
        .catch(function () {{ poll(id); }});
    }}, 1000);
  }}
  function wire() {{
    S.forms.forEach(function (fid) {{
      var form = document.getElementById(fid);
      if (!form || form.getAttribute("data-wired")) {{ return; }}
      form.setAttribute("data-wired", "1");
      form.addEventListener("submit", function (e) {{
        e.preventDefault();
        fetch(form.getAttribute("action"), {{
          method: "POST",
          headers: {{"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}},
          body: new URLSearchParams(new FormData(form)).toString()
        }})
          .then(function (r) {{ return r.json(); }})
          .then(function (a) {{ show(a, form); }})
          .catch(function () {{ showError(form, "The server did not answer. Please try again."); }});
      }});
    }});
    var push = document.querySelector("[data-push]");
    if (push && !push.getAttribute("data-polling")) {{
      push.setAttribute("data-polling", "1");
      poll(push.getAttribute("data-push"));
    }}
  }}
  wire();
}})();
</script>"#
    )
}

fn error_box(s: &Selectors, message: Option<&str>) -> String {
    match message {
        Some(m) => format!(
            r#"<div class="{} err" role="alert">{}</div>"#,
            s.error_class,
            esc(m)
        ),
        None => String::new(),
    }
}

/// The credentials form (with an error and the username kept after a failed submission).
fn credentials(s: &Selectors, action: &str, error: Option<(&str, &str, bool)>) -> String {
    let (message, username, paper) = match error {
        Some((m, u, p)) => (Some(m), u, p),
        None => (None, "", false),
    };
    format!(
        r#"<h1>Login</h1>
<form id="{form}" method="post" action="{action}" autocomplete="off">
<div class="mode"><span>Live</span><input type="checkbox" id="{toggle}" name="{toggle_name}" value="on"{checked}><label for="{toggle}">Paper</label></div>
<label for="{user}">Username</label>
<input type="text" id="{user}" name="{user_name}" value="{username}" autocomplete="off" autocapitalize="off" spellcheck="false">
<label for="{pass}">Password</label>
<input type="password" id="{pass}" name="{pass_name}" value="" autocomplete="off">
{error}<button type="submit" class="{submit}">Login</button>
</form>"#,
        form = s.form_id,
        action = esc(action),
        toggle = s.toggle_id,
        toggle_name = s.toggle_name,
        checked = if paper { " checked" } else { "" },
        user = s.username_id,
        user_name = s.username_name,
        username = esc(username),
        pass = s.password_id,
        pass_name = s.password_name,
        error = error_box(s, message),
        submit = s.submit_class,
    )
}

/// The code step of `#twofactbase`.
fn code(s: &Selectors, login_id: &str, error: Option<&str>) -> String {
    format!(
        r#"<div id="{base}">
<h1>Two-Factor Authentication</h1>
<form id="{form}" method="post" action="/sso/Login" autocomplete="off">
<input type="hidden" name="{id_field}" value="{login_id}">
<label for="{code}">Enter the 6-digit security code from your authenticator app (IB Key)</label>
<input type="text" id="{code}" name="{code_name}" value="" inputmode="numeric" maxlength="6" autocomplete="one-time-code">
{error}<button type="submit" class="{submit}">Verify</button>
</form>
</div>"#,
        base = s.twofa_id,
        form = s.code_form_id,
        id_field = LOGIN_ID_FIELD,
        login_id = esc(login_id),
        code = s.code_id,
        code_name = s.code_name,
        error = error_box(s, error),
        submit = s.code_submit_class,
    )
}

/// The push step of `#twofactbase`.
fn push(s: &Selectors, login_id: &str) -> String {
    format!(
        r#"<div id="{base}">
<h1>Two-Factor Authentication</h1>
<div class="{push} note" data-push="{login_id}">A notification has been sent to your mobile device (IB Key). Approve it to complete the login.</div>
</div>"#,
        base = s.twofa_id,
        push = s.push_class,
        login_id = esc(login_id),
    )
}

/// `Client login succeeds`.
pub(crate) fn success(s: &Selectors) -> String {
    format!(
        r#"<div id="{id}" class="ok">{SUCCESS}</div>"#,
        id = s.success_id
    )
}

/// A whole page around one step's content.
fn page(s: &Selectors, content: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Client Portal Login</title>
<style>{STYLE}</style>
</head>
<body>
<div class="box">
<div id="{root}" class="{root_class}">
{content}
</div>
</div>
{script}
</body>
</html>
"#,
        root = s.root_id,
        root_class = s.root_class,
        script = script(s),
    )
}

/// The page `GET /sso/Login` serves.
pub(crate) fn login_page(s: &Selectors, action: &str) -> String {
    page(s, &credentials(s, action, None))
}

/// The inner content of a step.
fn content(s: &Selectors, step: &Step, action: &str) -> String {
    match step {
        Step::Error {
            message,
            username,
            paper,
        } => credentials(s, action, Some((message, username, *paper))),
        Step::Code { login_id, error } => code(s, login_id, error.as_deref()),
        Step::Push { login_id } => push(s, login_id),
        Step::Success => success(s),
    }
}

/// A step as a whole page (a form posted without the script).
pub(crate) fn step_page(s: &Selectors, step: &Step, action: &str) -> String {
    page(s, &content(s, step, action))
}

/// A step as the script reads it: `{"step":"error","message":…}` to show an error in the
/// submitted form, else the step's name and the HTML that replaces the page's content.
pub(crate) fn step_json(s: &Selectors, step: &Step, action: &str) -> Value {
    let html = content(s, step, action);
    match step {
        Step::Error { message, .. } => json!({"step": "error", "message": message}),
        Step::Code {
            error: Some(message),
            ..
        } => json!({"step": "error", "message": message}),
        Step::Code {
            login_id,
            error: None,
        } => json!({"step": "code", "loginId": login_id, "html": html}),
        Step::Push { login_id } => json!({"step": "push", "loginId": login_id, "html": html}),
        Step::Success => json!({"step": "success", "message": SUCCESS, "html": html}),
    }
}

/// The selectors in force.
pub(crate) fn selectors(changed: bool) -> &'static Selectors {
    if changed { &CHANGED } else { &USUAL }
}
