/** DEK algorithms, as named by Confluent (part of a DEK's identity). */
export type DekAlgorithm = 'AES128_GCM' | 'AES256_GCM' | 'AES256_SIV';
