// smoothpub player: dash.js + its Smooth Streaming bundle (dash.mss), no build step.
// Query parameters:
//   manifest=<url>   Smooth client Manifest (default ./video.ism/Manifest)
//   quality=<n>      start on video quality n (0 = lowest bitrate) with ABR off; default auto
//   buffer=<s>       forward buffer target in seconds (small values make switches visible)
//   rate=<x>         playback rate
//   audio=<lang>     preferred audio language (Smooth StreamIndex Language), e.g. fra
//   autoplay=0       do not start playing on load
// Tests read state through window.smoothpubStats() and drive it with window.smoothpubSetQuality().
/* global URLSearchParams, location, Option */
'use strict';

(function () {
  const params = new URLSearchParams(location.search);
  const manifestUrl = new URL(params.get('manifest') || './video.ism/Manifest', location.href).href;
  const video = document.getElementById('video');
  const qualitySelect = document.getElementById('quality');
  const audioSelect = document.getElementById('audio');
  const errorList = document.getElementById('errors');
  const $ = (id) => document.getElementById(id);

  /** Everything that went wrong, oldest first: { source, code, message, time }. */
  const errors = [];
  /** Video quality changes as rendered: { from, to, time } in bits/s. */
  const qualityChanges = [];
  /** Loaded fragments: { type, bitrate, url }. */
  const fragments = [];

  function addError(source, code, message) {
    const entry = { source, code: code === undefined ? null : code, message: String(message || ''), time: video.currentTime };
    errors.push(entry);
    const li = document.createElement('li');
    li.textContent = `${source}${entry.code !== null ? ' ' + entry.code : ''}: ${entry.message}`;
    errorList.appendChild(li);
  }

  if (!window.dashjs || !window.dashjs.MediaPlayer) {
    // In a checkout, `npm run build` (run by `npm ci`) copies it into web/vendor/dashjs/.
    addError('page', null, 'dash.js did not load from /dash/dash.all.min.js (in a smoothpub checkout: npm run build)');
    return;
  }
  if (!window.dashjs.MssHandler) {
    addError('page', null, 'the dash.js Smooth bundle did not load from /dash/dash.mss.min.js');
  }

  const player = window.dashjs.MediaPlayer().create();
  const events = window.dashjs.MediaPlayer.events;
  const startQuality = params.has('quality') && params.get('quality') !== 'auto' ? Number(params.get('quality')) : null;
  const bufferSeconds = params.has('buffer') ? Number(params.get('buffer')) : null;

  const settings = { streaming: { abr: {}, buffer: {} } };
  if (startQuality !== null) {
    settings.streaming.abr.autoSwitchBitrate = { video: false };
    if (startQuality === 0) settings.streaming.abr.initialBitrate = { video: 1 };
  }
  if (bufferSeconds !== null) {
    Object.assign(settings.streaming.buffer, {
      bufferTimeDefault: bufferSeconds,
      bufferTimeAtTopQuality: bufferSeconds,
      bufferTimeAtTopQualityLongForm: bufferSeconds,
      initialBufferLevel: 0,
    });
  }
  player.updateSettings(settings);

  player.on(events.ERROR, (e) => {
    const err = e.error || {};
    addError('dashjs', err.code, err.message || JSON.stringify(err));
  });
  player.on(events.PLAYBACK_ERROR, (e) => addError('playback', e.error && e.error.code, e.error && e.error.message));
  video.addEventListener('error', () => {
    const err = video.error;
    addError('video', err && err.code, err && err.message);
  });
  player.on(events.QUALITY_CHANGE_RENDERED, (e) => {
    if (e.mediaType !== 'video') return;
    qualityChanges.push({
      from: e.oldRepresentation ? e.oldRepresentation.bandwidth : null,
      to: e.newRepresentation ? e.newRepresentation.bandwidth : null,
      time: video.currentTime,
    });
    renderQualitySelect();
  });
  player.on(events.FRAGMENT_LOADING_COMPLETED, (e) => {
    const r = e.request || {};
    if (r.type !== 'MediaSegment') return;
    fragments.push({ type: r.mediaType, bitrate: r.bandwidth || (r.representation && r.representation.bandwidth) || null, url: r.url });
  });
  player.on(events.STREAM_INITIALIZED, () => {
    if (startQuality !== null) setQuality(startQuality);
    renderQualitySelect();
    renderAudioSelect();
  });
  player.on(events.TRACK_CHANGE_RENDERED, renderAudioSelect);

  if (params.has('rate')) {
    const rate = Number(params.get('rate'));
    video.addEventListener('loadedmetadata', () => { video.playbackRate = rate; });
    video.addEventListener('ratechange', () => { if (video.playbackRate !== rate) video.playbackRate = rate; });
  }

  function videoRepresentations() {
    try {
      return player.getRepresentationsByType('video') || [];
    } catch {
      return []; // not initialized yet
    }
  }

  function currentVideoRepresentation() {
    try {
      return player.getCurrentRepresentationForType('video');
    } catch {
      return null;
    }
  }

  /** 'auto', or an index into the video qualities sorted by bitrate (0 = lowest). */
  function setQuality(choice) {
    if (choice === 'auto') {
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: true } } } });
    } else {
      const reps = videoRepresentations();
      const rep = reps[Math.max(0, Math.min(Number(choice), reps.length - 1))];
      if (!rep) return false;
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      player.setRepresentationForTypeById('video', rep.id);
    }
    renderQualitySelect();
    return true;
  }

  function renderQualitySelect() {
    const reps = videoRepresentations();
    const auto = player.getSettings().streaming.abr.autoSwitchBitrate.video;
    if (qualitySelect.options.length !== reps.length + 1) {
      qualitySelect.replaceChildren(new Option('auto', 'auto'));
      reps.forEach((rep, i) => {
        qualitySelect.appendChild(new Option(`${Math.round(rep.bandwidth / 1000)} kbit/s, ${rep.width}x${rep.height}`, String(i)));
      });
    }
    const current = currentVideoRepresentation();
    const index = current ? reps.findIndex((r) => r.id === current.id) : -1;
    qualitySelect.value = auto || index < 0 ? 'auto' : String(index);
  }

  qualitySelect.addEventListener('change', () => setQuality(qualitySelect.value));

  function audioTracks() {
    try {
      return player.getTracksFor('audio') || [];
    } catch {
      return [];
    }
  }

  function currentAudioTrack() {
    try {
      return player.getCurrentTrackFor('audio');
    } catch {
      return null;
    }
  }

  function renderAudioSelect() {
    const tracks = audioTracks();
    audioSelect.replaceChildren(...tracks.map((t, i) => new Option(t.lang || String(t.id || i), String(i))));
    const current = currentAudioTrack();
    const index = current ? tracks.findIndex((t) => t.id === current.id && t.lang === current.lang) : -1;
    if (index >= 0) audioSelect.value = String(index);
  }

  /** Switches audio to the first track whose language is `lang`; false if there is none. */
  function setAudioLanguage(lang) {
    const track = audioTracks().find((t) => t.lang === lang);
    if (!track) return false;
    player.setCurrentTrack(track);
    return true;
  }

  audioSelect.addEventListener('change', () => {
    const track = audioTracks()[Number(audioSelect.value)];
    if (track) player.setCurrentTrack(track);
  });

  function stats() {
    const rep = currentVideoRepresentation();
    const quality = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    let bufferVideo = null;
    let bufferAudio = null;
    try {
      bufferVideo = player.getBufferLength('video');
      bufferAudio = player.getBufferLength('audio');
    } catch { /* not initialized yet */ }
    const audio = currentAudioTrack();
    return {
      manifestUrl,
      currentTime: video.currentTime,
      duration: video.duration,
      ended: video.ended,
      paused: video.paused,
      readyState: video.readyState,
      playbackRate: video.playbackRate,
      // Selected level (what is being fetched) and the level on screen now.
      videoBitrate: rep ? rep.bandwidth : null,
      renderedVideoBitrate: qualityChanges.length > 0 ? qualityChanges[qualityChanges.length - 1].to : null,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      autoQuality: player.getSettings().streaming.abr.autoSwitchBitrate.video,
      videoQualities: videoRepresentations().map((r) => ({ id: r.id, bitrate: r.bandwidth, width: r.width, height: r.height })),
      audioTracks: audioTracks().map((t) => ({ lang: t.lang, id: t.id })),
      audioLanguage: audio ? audio.lang : null,
      bufferVideo,
      bufferAudio,
      droppedFrames: quality ? quality.droppedVideoFrames : null,
      totalFrames: quality ? quality.totalVideoFrames : null,
      audioDecodedBytes: video.webkitAudioDecodedByteCount === undefined ? null : video.webkitAudioDecodedByteCount,
      videoDecodedBytes: video.webkitVideoDecodedByteCount === undefined ? null : video.webkitVideoDecodedByteCount,
      errors: errors.slice(),
      qualityChanges: qualityChanges.slice(),
      fragments: fragments.slice(),
    };
  }

  function fmt(n, digits) {
    return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
  }

  function renderStats() {
    const s = stats();
    $('stat-manifest').textContent = s.manifestUrl;
    $('stat-time').textContent = `${fmt(s.currentTime, 2)} / ${fmt(s.duration, 2)} s${s.ended ? ' (ended)' : ''}`;
    const kbps = (b) => (b === null ? '–' : `${Math.round(b / 1000)} kbit/s`);
    $('stat-video').textContent = `showing ${kbps(s.renderedVideoBitrate)} ${s.videoWidth}x${s.videoHeight}, fetching ${kbps(s.videoBitrate)}${s.autoQuality ? ' (auto)' : ''}`;
    $('stat-audio').textContent = `${s.audioLanguage || '–'} (of ${s.audioTracks.map((t) => t.lang || t.id).join(', ') || '–'})`;
    $('stat-buffer').textContent = `video ${fmt(s.bufferVideo, 1)} s, audio ${fmt(s.bufferAudio, 1)} s`;
    $('stat-frames').textContent = `${s.totalFrames ?? '–'} shown, ${s.droppedFrames ?? '–'} dropped`;
    $('stat-decoded').textContent = `video ${s.videoDecodedBytes ?? '–'} B, audio ${s.audioDecodedBytes ?? '–'} B`;
  }
  setInterval(renderStats, 500);

  $('manifest-url').value = manifestUrl;
  $('source').addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams(location.search);
    next.set('manifest', $('manifest-url').value);
    location.search = next.toString();
  });

  window.smoothpubPlayer = player;
  window.smoothpubStats = stats;
  window.smoothpubSetQuality = setQuality;
  window.smoothpubSetAudioLanguage = setAudioLanguage;

  // Initial track settings need an initialized player but must precede the source.
  player.initialize(video, null, params.get('autoplay') !== '0');
  if (params.get('audio')) player.setInitialMediaSettingsFor('audio', { lang: params.get('audio') });
  player.attachSource(manifestUrl);
})();
