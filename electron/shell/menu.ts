/**
 * The application menu, built from Electron's Menu passed in (so it is testable without Electron).
 */
import type { Menu as MenuType, MenuItemConstructorOptions } from 'electron';

/** What the menu's own items do. */
export interface MenuActions {
  isMac: boolean;
  /** Offer Toggle Developer Tools: only in development (`!app.isPackaged`); a shipped app has none. */
  devTools: boolean;
  /** Opens the library folder (database, logs). */
  openLogs(): void;
}

/** The menu template: standard roles plus Courier's items. */
export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    ...(actions.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [{ label: 'Show Library Folder', click: () => actions.openLogs() }, { type: 'separator' }, actions.isMac ? { role: 'close' } : { role: 'quit' }],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(actions.devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
}

/** Builds the menu with Electron's Menu class. */
export function buildMenu(Menu: Pick<typeof MenuType, 'buildFromTemplate'>, actions: MenuActions): MenuType {
  return Menu.buildFromTemplate(menuTemplate(actions));
}
