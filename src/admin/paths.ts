/**
 * Where Bull Board is served; every path under it (page, static assets, API) needs the
 * credentials. Apart from the dashboard itself, so that a service without one never loads Bull Board.
 */
export const ADMIN_DASHBOARD_PATH = '/admin/queues';
export const ADMIN_ENDPOINTS = [`GET ${ADMIN_DASHBOARD_PATH}`];
