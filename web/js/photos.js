// Photos (and recordings) are fetched with the bearer credential and shown from blob: URLs.
import { t } from "./i18n.js";

/**
 * A cache of blob URLs for one page's photos or recordings (`collection`: "photos" or "audio"),
 * fetched with the bearer credential. Old URLs are revoked when no longer used.
 * @param {() => string} classId
 * @param {() => string} token
 * @param {string} collection
 */
export function blobLoader(classId, token, collection) {
  /** @type {Map<string, Promise<string | null>>} */
  const cache = new Map();
  /** @type {Map<string, string>} */
  const urls = new Map();

  /**
   * @param {string} itemId the photo's or recording's id
   * @returns {Promise<string | null>}
   */
  function load(itemId) {
    const known = cache.get(itemId);
    if (known) return known;
    const promise = (async () => {
      try {
        const path = `/api/classes/${encodeURIComponent(classId())}/${collection}/${encodeURIComponent(itemId)}`;
        const response = await fetch(path, {
          headers: { Authorization: `Bearer ${token()}` },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (!response.ok) throw new Error(String(response.status));
        const url = URL.createObjectURL(await response.blob());
        urls.set(itemId, url);
        return url;
      } catch {
        cache.delete(itemId); // may be allowed later (after approval): try again then
        return null;
      }
    })();
    cache.set(itemId, promise);
    return promise;
  }

  return {
    load,
    /**
     * Revoke the URLs of items not in `keep`.
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

/**
 * A cache of photo blob URLs for one page.
 * @param {() => string} classId
 * @param {() => string} token
 */
export function photoLoader(classId, token) {
  const { load, prune } = blobLoader(classId, token, "photos");
  return {
    load,
    prune,
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
  };
}

/** Longest side of a photo as uploaded: plenty for a card, small enough for any phone photo. */
export const PHOTO_MAX_SIDE = 1600;

/**
 * Decode an image file upright (EXIF orientation applied).
 * @param {Blob} file
 * @returns {Promise<{source: CanvasImageSource, width: number, height: number, done: () => void}>}
 */
async function decode(file) {
  if (typeof window.createImageBitmap === "function") {
    const bitmap = await window.createImageBitmap(file, { imageOrientation: "from-image" });
    return { source: bitmap, width: bitmap.width, height: bitmap.height, done: () => bitmap.close() };
  }
  // Older browsers: an <img> (which applies EXIF orientation by default in current engines).
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
  } catch (err) {
    URL.revokeObjectURL(url);
    throw err;
  }
  return { source: img, width: img.naturalWidth, height: img.naturalHeight, done: () => URL.revokeObjectURL(url) };
}

/**
 * Shrink a photo in the browser before upload: longest side at most `maxSide`, JPEG, upright,
 * transparent areas white. Throws an Error with a plain message when the browser cannot read it.
 * @param {Blob} file
 * @param {number} [maxSide]
 * @returns {Promise<Blob>}
 */
export async function shrinkPhoto(file, maxSide = PHOTO_MAX_SIDE) {
  if (file.type && !file.type.startsWith("image/")) {
    throw new Error(t("round.photo_not_photo"));
  }
  let image;
  try {
    image = await decode(file);
  } catch {
    throw new Error(t("round.photo_unreadable"));
  }
  try {
    const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
    const width = Math.max(1, Math.round(image.width * scale));
    const height = Math.max(1, Math.round(image.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error(t("round.photo_unreadable"));
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(image.source, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob) throw new Error(t("round.photo_unreadable"));
    return /** @type {Blob} */ (blob);
  } finally {
    image.done();
  }
}
