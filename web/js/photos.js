// Photos are fetched with the bearer credential and shown from blob: URLs.

/**
 * A cache of photo blob URLs for one page. Old URLs are revoked when no longer used.
 * @param {() => string} classId
 * @param {() => string} token
 */
export function photoLoader(classId, token) {
  /** @type {Map<string, Promise<string | null>>} */
  const cache = new Map();
  /** @type {Map<string, string>} */
  const urls = new Map();

  /**
   * @param {string} photoId
   * @returns {Promise<string | null>}
   */
  function load(photoId) {
    const known = cache.get(photoId);
    if (known) return known;
    const promise = (async () => {
      try {
        const path = `/api/classes/${encodeURIComponent(classId())}/photos/${encodeURIComponent(photoId)}`;
        const response = await fetch(path, {
          headers: { Authorization: `Bearer ${token()}` },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (!response.ok) throw new Error(String(response.status));
        const url = URL.createObjectURL(await response.blob());
        urls.set(photoId, url);
        return url;
      } catch {
        cache.delete(photoId); // may be allowed later (after approval): try again then
        return null;
      }
    })();
    cache.set(photoId, promise);
    return promise;
  }

  return {
    load,
    /**
     * An <img> that fills in when the photo has loaded (stays hidden otherwise).
     * @param {string} photoId
     * @param {string} alt
     * @param {string} [cls]
     * @returns {HTMLImageElement}
     */
    img(photoId, alt, cls = "card-photo") {
      const img = document.createElement("img");
      img.className = cls;
      img.alt = alt;
      img.hidden = true;
      img.decoding = "async";
      load(photoId).then((url) => {
        if (url) {
          img.src = url;
          img.hidden = false;
        }
      });
      return img;
    },
    /**
     * Revoke the URLs of photos not in `keep`.
     * @param {Iterable<string>} keep
     */
    prune(keep) {
      const wanted = new Set(keep);
      for (const [id, url] of urls) {
        if (!wanted.has(id)) {
          URL.revokeObjectURL(url);
          urls.delete(id);
          cache.delete(id);
        }
      }
    },
  };
}
