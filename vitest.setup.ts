// tsyringe looks for the Reflect polyfill when it loads, so it must come first.
import 'reflect-metadata';
