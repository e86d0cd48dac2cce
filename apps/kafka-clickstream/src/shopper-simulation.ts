import { SeededRandom } from '@dstream/example-support';
import type { DeviceClass, PageView } from './page-view.js';

/** How the simulated visitors behave. */
export interface ShopperSettings {
  /** Visitors of the site. */
  readonly users: number;
  /** Average time a visitor spends on a page before the next one, in milliseconds. */
  readonly thinkTime: number;
  /** The seed: the same seed gives the same visitors and clicks. */
  readonly seed: number;
}

interface Visitor {
  readonly id: string;
  readonly device: DeviceClass;
  /** The page the visitor is on, or `undefined` while away. */
  page: string | undefined;
  /** Pages left in the current visit. */
  pagesLeft: number;
  /** When the next page view (or the next visit) happens. */
  nextAt: number;
}

const PRODUCTS = 60;
const POSTS = ['spring-collection', 'care-guide', 'size-chart', 'behind-the-seams', 'gift-ideas'];
const SEARCHES = ['shoes', 'red+dress', 'linen', 'sale', 'rain+jacket'];
const ENTRY: readonly {
  readonly referrer: string | null;
  readonly landing: 'home' | 'product' | 'post';
}[] = [
  { referrer: 'https://www.google.com/', landing: 'product' },
  { referrer: 'https://www.google.com/', landing: 'product' },
  { referrer: null, landing: 'home' },
  { referrer: null, landing: 'home' },
  { referrer: 'https://mail.example.com/', landing: 'post' },
  { referrer: 'https://social.example.com/', landing: 'product' },
  { referrer: 'https://social.example.com/', landing: 'post' },
];

/**
 * Visitors of an online shop. Each visitor comes for a visit of a few pages (one in five leaves
 * after the first), from a search engine, a newsletter, a social network or typed in, moves
 * through the site along plausible paths (home, listings, products, search, blog, cart,
 * checkout), pauses a random, skewed time on each page — sometimes long enough to split the visit
 * into two sessions — then stays away for a while and comes back for another visit. About two
 * in five visitors arrive within the first seconds of the simulation, the others later.
 */
export class ShopperSimulation {
  private readonly random: SeededRandom;
  private readonly visitors: Visitor[] = [];
  private producedCount = 0;

  constructor(
    private readonly settings: ShopperSettings,
    startTime: number,
  ) {
    this.random = new SeededRandom(settings.seed);
    const random = this.random;
    const width = Math.max(4, String(settings.users).length);
    for (let i = 1; i <= settings.users; i++) {
      const roll = random.next();
      const visitor: Visitor = {
        id: `user-${String(i).padStart(width, '0')}`,
        device: roll < 0.55 ? 'mobile' : roll < 0.9 ? 'desktop' : 'tablet',
        page: undefined,
        pagesLeft: 0,
        nextAt: startTime + random.between(0, this.awayTime() * (random.chance(0.4) ? 0.02 : 1)),
      };
      this.visitors.push(visitor);
    }
  }

  /** Page views produced so far. */
  get produced(): number {
    return this.producedCount;
  }

  /** The page views due by `now`, in time order per visitor; advances the simulation to `now`. */
  tick(now: number): PageView[] {
    const out: PageView[] = [];
    for (const visitor of this.visitors) {
      while (visitor.nextAt <= now) this.step(visitor, visitor.nextAt, out);
    }
    this.producedCount += out.length;
    return out;
  }

  private step(visitor: Visitor, time: number, out: PageView[]): void {
    const random = this.random;
    let referrer: string | null;
    let page: string;
    if (visitor.page === undefined) {
      const entry = random.pick(ENTRY);
      referrer = entry.referrer;
      page =
        entry.landing === 'home' ? '/' : entry.landing === 'post' ? this.post() : this.product();
      visitor.pagesLeft = random.chance(0.2)
        ? 1
        : 2 + Math.floor(-Math.log(1 - random.next()) / 0.18);
    } else {
      referrer = `https://shop.example.com${visitor.page}`;
      page = this.nextPage(visitor.page);
    }
    out.push({ user: visitor.id, page, referrer, ts: Math.round(time), device: visitor.device });
    visitor.pagesLeft--;
    if (visitor.pagesLeft > 0 && page !== '/checkout/complete') {
      visitor.page = page;
      visitor.nextAt = time + this.thinkTime();
    } else {
      visitor.page = undefined;
      visitor.nextAt = time + this.awayTime();
    }
  }

  /** A skewed pause: mostly short, now and then several times the average. */
  private thinkTime(): number {
    const mean = this.settings.thinkTime;
    const value = mean * Math.exp(this.random.gaussian(0.8) - 0.32);
    return Math.min(Math.max(value, mean / 10), mean * 8);
  }

  private awayTime(): number {
    return this.settings.thinkTime * this.random.between(8, 40);
  }

  private product(): string {
    // A few products are much more popular than the rest.
    return `/products/${1 + Math.floor(PRODUCTS * this.random.next() ** 2)}`;
  }

  private post(): string {
    return `/blog/${this.random.pick(POSTS)}`;
  }

  private nextPage(page: string): string {
    const r = this.random.next();
    if (page === '/')
      return r < 0.4
        ? '/products'
        : r < 0.7
          ? this.product()
          : r < 0.85
            ? this.post()
            : this.search();
    if (page === '/products') return r < 0.8 ? this.product() : this.search();
    if (page.startsWith('/products/'))
      return r < 0.4 ? this.product() : r < 0.65 ? '/cart' : r < 0.9 ? '/products' : this.search();
    if (page === '/cart') return r < 0.5 ? '/checkout' : this.product();
    if (page === '/checkout') return r < 0.7 ? '/checkout/complete' : '/cart';
    if (page.startsWith('/blog/')) return r < 0.4 ? this.post() : r < 0.8 ? this.product() : '/';
    if (page.startsWith('/search')) return r < 0.8 ? this.product() : this.search();
    return '/';
  }

  private search(): string {
    return `/search?q=${this.random.pick(SEARCHES)}`;
  }
}
