// The menu template: standard roles and our items, built with a fake Menu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMenu, menuTemplate } from '../../../electron/shell/menu.ts';

test('the menu has File, Edit, View and Window, and the app menu on macOS only', () => {
  let opened = 0;
  const linux = menuTemplate({ isMac: false, devTools: false, openLogs: () => opened++ });
  assert.deepEqual(linux.map((m) => m.label ?? m.role), ['File', 'editMenu', 'View', 'windowMenu']);
  const mac = menuTemplate({ isMac: true, devTools: false, openLogs: () => opened++ });
  assert.equal(mac[0].role, 'appMenu');
  const file = linux[0].submenu as { label?: string; click?: () => void }[];
  file.find((i) => i.label === 'Show Library Folder')!.click!();
  assert.equal(opened, 1);
  let built: unknown;
  buildMenu({ buildFromTemplate: (t) => ((built = t), {} as never) }, { isMac: false, devTools: false, openLogs: () => {} });
  assert.ok(Array.isArray(built));
});

test('Toggle Developer Tools is in the development menu only, never in a shipped app', () => {
  const roles = (devTools: boolean) => JSON.stringify(menuTemplate({ isMac: false, devTools, openLogs: () => {} }));
  assert.doesNotMatch(roles(false), /toggleDevTools/i);
  assert.match(roles(true), /toggleDevTools/);
  assert.doesNotMatch(JSON.stringify(menuTemplate({ isMac: true, devTools: false, openLogs: () => {} })), /toggleDevTools/i);
});
