// A call's recording and its transcript, linked (ava_app/components/audio_transcript.py). The player's id is
// AUDIO_ID's value there.
(function () {
  if (window.__avaTranscript) return;
  window.__avaTranscript = true;
  const audio = () => document.getElementById('call-audio');
  function seek(line) {
    const player = audio();
    if (!player) return;
    player.currentTime = parseFloat(line.dataset.seek) || 0;
    const playing = player.play();
    if (playing && playing.catch) playing.catch(() => {});
  }
  document.addEventListener('click', (event) => {
    const line = event.target.closest && event.target.closest('[data-seek]');
    if (line) seek(line);
  });
  document.addEventListener('keydown', (event) => {
    const line = event.target.closest && event.target.closest('[data-seek]');
    if (line && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); seek(line); }
  });
  document.addEventListener('timeupdate', (event) => {
    if (!event.target || event.target.id !== 'call-audio') return;
    const now = event.target.currentTime;
    let current = null;
    document.querySelectorAll('[data-seek]').forEach((line) => {
      if (parseFloat(line.dataset.seek) <= now + 0.05) current = line;
    });
    document.querySelectorAll('[data-playing="true"]').forEach((line) => {
      if (line !== current) line.removeAttribute('data-playing');
    });
    if (current && current.dataset.playing !== 'true') {
      current.setAttribute('data-playing', 'true');
      current.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }, true);
})();
