// enketo-core's configuration for the test page: map tiles that need no network (the test runs offline);
// the geopoint widget is answered in its latitude, longitude, altitude and accuracy fields.
export default {
    experimentalOptimizations: { computeAsync: false },
    excludeNonRelevant: true,
    maps: [{ name: 'none', tiles: ['data:image/gif;base64,R0lGODlhAQABAAAAACw='] }],
    googleApiKey: '',
    repeatOrdinals: false,
    validateContinuously: false,
    validatePage: true,
    swipePage: false,
    textMaxChars: 2000,
};
