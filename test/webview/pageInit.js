// Runs in the test page before its scripts (see harness.ts): a stand-in for the VS Code webview host.
// eslint-disable-next-line no-unused-vars
function lutdlaTestInit(arg) {
  var w = window;
  var violations = [];
  var posted = [];
  var state = arg.state;
  w.__violations = violations;
  w.__posted = posted;
  w.__alerts = 0;
  w.alert = function () {
    w.__alerts++;
  };
  document.addEventListener('securitypolicyviolation', function (e) {
    violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
  });
  var acquired = 0;
  w.acquireVsCodeApi = function () {
    if (acquired++) throw new Error('acquireVsCodeApi called twice');
    return {
      postMessage: function (m) {
        posted.push(JSON.parse(JSON.stringify(m)));
      },
      getState: function () {
        return state;
      },
      setState: function (s) {
        state = JSON.parse(JSON.stringify(s));
      },
    };
  };
  w.__getState = function () {
    return state;
  };
  function apply(name) {
    var t = arg.themes[name];
    if (!document.documentElement) return;
    Object.keys(t.vars).forEach(function (k) {
      document.documentElement.style.setProperty(k, t.vars[k]);
    });
    if (document.body) document.body.className = t.bodyClass;
  }
  w.__setTheme = apply;
  apply(arg.theme);
  if (!document.body) {
    var obs = new MutationObserver(function () {
      if (document.body) {
        obs.disconnect();
        apply(arg.theme);
      }
    });
    obs.observe(document, { childList: true, subtree: true });
  }
}
