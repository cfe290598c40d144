// Downloads started by a page: fetch a signed link with a progress notice, then save the file.
window.avaDownload = async function (url, filename, labels) {
  const note = document.createElement('div');
  note.setAttribute('role', 'status');
  note.className = 'ava-download-note';
  note.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:1000;padding:10px 14px;border-radius:8px;' +
    'background:var(--gray-12);color:var(--gray-1);font-size:14px;box-shadow:0 4px 16px rgba(0,0,0,.25)';
  const size = (n) => n > 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' kB';
  note.textContent = labels.progress.replace('{size}', '');
  document.body.appendChild(note);
  try {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(String(response.status));
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.length;
      note.textContent = labels.progress.replace('{size}', size(received));
    }
    const blob = new Blob(parts, { type: response.headers.get('content-type') || 'application/octet-stream' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    note.textContent = labels.done;
  } catch (error) {
    note.textContent = labels.failed;
  }
  setTimeout(() => note.remove(), 4000);
};
