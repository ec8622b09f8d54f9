/**
 * AWS KMS driver (`aws-kms`).
 *
 * @packageDocumentation
 */
export { awsKmsDriver, AWS_KMS_TYPE, AWS_DISABLE_DYNAMIC_MRK, type AwsKmsDriverOptions } from './driver';
export { parseKmsArn, localReplicaArn, type KmsArn } from './arn';
