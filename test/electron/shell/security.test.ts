// The window's security settings, the sender check and navigation blocking (collaborators faked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { RENDERER_CSP as CONTENT_SECURITY_POLICY } from '../../../electron/api/rendererFiles.ts';
import { createSenderCheck, hardenWebContents, secureWebPreferences } from '../../../electron/shell/security.ts';

test('windows run isolated and sandboxed, without node integration', () => {
  const prefs = secureWebPreferences('/app/dist/electron/preload.cjs', { devTools: false });
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/app/dist/electron/preload.cjs');
  // A shipped app has no DevTools (also no keyboard shortcut to them); development has.
  assert.equal(prefs.devTools, false);
  assert.equal(secureWebPreferences('/p.cjs', { devTools: true }).devTools, true);
});

test('the page CSP allows only our own code: no eval, no blob: workers, no remote hosts', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'self'/);
  assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /'unsafe-eval'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /\*/);
});

test('only main frames showing our renderer pages are trusted senders', () => {
  const check = createSenderCheck('courier://app/index.html');
  assert.equal(check({ url: 'courier://app/index.html', parent: null }), true);
  assert.equal(check({ url: 'courier://app/index.html?series=3#viewer', parent: null }), true);
  assert.equal(check({ url: 'courier://app/index.html', parent: {} }), false, 'subframe');
  assert.equal(check({ url: 'courier://evil/index.html', parent: null }), false);
  assert.equal(check({ url: 'file:///etc/passwd', parent: null }), false);
  assert.equal(check({ url: 'https://app/index.html', parent: null }), false);
  // A file:// renderer (another way to load the app) is checked by path prefix.
  const fileCheck = createSenderCheck('file:///opt/Courier/resources/app/dist/renderer/index.html');
  assert.equal(fileCheck({ url: 'file:///opt/Courier/resources/app/dist/renderer/index.html', parent: null }), true);
  assert.equal(fileCheck({ url: 'file:///opt/Courier/resources/app/dist/renderer/../../evil.html', parent: null }), false);
  assert.equal(check({ url: 'not a url', parent: null }), false);
  assert.equal(check(null), false);
});

test('navigation away from our pages, new windows and webviews are blocked', () => {
  const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler(h: () => { action: string }): void; openHandler?: () => { action: string } };
  contents.setWindowOpenHandler = (h) => (contents.openHandler = h);
  hardenWebContents(contents as never, (url) => url.startsWith('file:///app/'));
  const navigate = (event: string, url: string) => {
    let prevented = false;
    contents.emit(event, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  assert.equal(navigate('will-navigate', 'https://evil.example/'), true);
  assert.equal(navigate('will-redirect', 'https://evil.example/'), true);
  assert.equal(navigate('will-navigate', 'file:///app/index.html'), false);
  assert.equal(navigate('will-attach-webview', ''), true);
  assert.deepEqual(contents.openHandler?.(), { action: 'deny' });
});
