/** Experiments written on the library's public types only, as a user of the library would write them. */
package airbench.train.examples;
