// A short two-tone chime for a new alert. WebAudio needs a user gesture first, so the context is
// created (or resumed) on the first click anywhere on the page.
let ctx;

function unlock() {
  ctx ??= new (window.AudioContext || window.webkitAudioContext)();
  return ctx.state === 'suspended' ? ctx.resume() : Promise.resolve();
}

export function armSound() {
  const any = () => void unlock();
  document.addEventListener('pointerdown', any, { passive: true });
  document.addEventListener('keydown', any);
}

export function soundOn() {
  return !!ctx && ctx.state === 'running';
}

/**
 * A button that says whether new alerts will chime, and turns the chime on (browsers keep
 * audio off until the user does something on the page). `label(on)` gives its text.
 */
export function soundButton(label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'btn ghost sound';
  const show = () => {
    b.textContent = label(soundOn());
    b.classList.toggle('on', soundOn());
  };
  b.addEventListener('click', async () => {
    await unlock();
    beep();
    show();
  });
  document.addEventListener('pointerdown', () => setTimeout(show, 50), { passive: true });
  show();
  return b;
}

export function beep(urgent = false) {
  if (!ctx || ctx.state !== 'running') return;
  const tones = urgent ? [880, 660, 880, 660] : [880, 660];
  tones.forEach((f, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = f;
    osc.type = 'sine';
    const t = ctx.currentTime + i * 0.18;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.35, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.17);
  });
}
