/** Account settings a real owner has, which Set Blob Service Properties would reset if sent. */
export const OWNER_SERVICE_PROPERTIES = {
  blobAnalyticsLogging: { version: '1.0', deleteProperty: true, read: true, write: true, retentionPolicy: { enabled: true, days: 7 } },
  hourMetrics: { version: '1.0', enabled: true, includeAPIs: true, retentionPolicy: { enabled: true, days: 5 } },
  minuteMetrics: { version: '1.0', enabled: true, includeAPIs: false, retentionPolicy: { enabled: true, days: 3 } },
  deleteRetentionPolicy: { enabled: true, days: 9 },
  staticWebsite: { enabled: true, indexDocument: 'index.html', errorDocument404Path: '404.html' },
  defaultServiceVersion: '2020-10-02',
};
